"""Chinese-aware text helpers: search normalisation, sentence spans and BM25 tokenisers.

Normalisation is for *matching only* (traditional→simplified, full-width→half-width,
lower case); what is stored, shown and cited is always the original text, addressed by spans.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

SENTENCE_END = set("。！？；!?;…")
CLOSERS = set("”’」』）)]》\"'")
# Any CJK ideograph: tells a Chinese question or sentence from a Latin-script one.
CJK = re.compile(r"[\u3400-\u9fff]")
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
MIN_LATIN_WORDS = 3
LATIN_SHARE = 2  # the reading rule of eval/answer_rules.py: Latin letters at least twice the CJK


def reads_as_latin(text: str) -> bool:
    """Latin-script prose: at least three Latin words with at least LATIN_SHARE times as many
    letters as the text has CJK characters.

    "如GPT（Generative Pre-trained Transformer）系列、BERT（…）等，" (4.3×) reads as English;
    "做的比较好的产品，是coze，talkie，character ai, glow等" (1.7×, the most Latin-heavy quote a dev
    question read as Chinese) and "这是 To B 的 SaaS 市场" stay Chinese.
    """
    words = LATIN_WORD.findall(text)
    return len(words) >= MIN_LATIN_WORDS and sum(map(len, words)) >= LATIN_SHARE * len(CJK.findall(text))


def chinese_question(question: str) -> bool:
    """Is the question asked in Chinese? It holds Chinese and does not read as English prose: "According
    to 顾青云's article, what threshold …?" names a Chinese author in an English question, which was
    answered (and refused) in Chinese with its English words read as unknown terms (round 22, a
    metadata probe). Language, glossary, answerability and frames all read this one rule."""
    return bool(CJK.search(question)) and not (reads_as_latin(question) and _english_grammar(question))


# English grammar words: a question holding two of them is phrased in English whatever names it
# holds; "RAG 切片的 chunk size 设多大？" holds terms in English and its grammar in Chinese.
GRAMMAR_EN = frozenset([
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "by", "from", "about", "and", "or", "but",
    "not", "what", "which", "who", "whom", "whose", "why", "how", "when", "where", "is", "are", "was",
    "were", "be", "been", "do", "does", "did", "can", "could", "should", "would", "will", "has", "have",
    "had", "we", "our", "us", "i", "my", "you", "your", "they", "their", "it", "its", "this", "that",
    "these", "those", "there", "any",
])


def _english_grammar(question: str) -> bool:
    return sum(w.lower() in GRAMMAR_EN for w in LATIN_WORD.findall(question)) >= 2


WORD = re.compile(r"[a-z0-9]+(?:[.\-+][a-z0-9]+)*")
# An ASCII full stop ends a sentence only when followed by white space (keeps "3.5" and "e.g").
ASCII_STOP = re.compile(r"(?<=[A-Za-z\)])\.(?=\s)")


# Markdown as the sources write it, for display: what is shown to a reader (a quote, a search
# result, a citation snippet) drops the marks; offsets into the original stay with the caller.
LEAD_MARKS = re.compile(
    r"(?:\s+|#{1,6}\s*|>\s*|[-*+•·]\s+|\[[ xX]\]\s*|\d{1,2}[.)）、](?!\d)\s*|[（(]\d{1,2}[）)]\s*"
    r"|[a-h][.、)]\s+|[*_]{1,3}\s*|[“\"](?=\*))"
)
INLINE = re.compile(r"\*\*|__|`|!\[[^\]]*\]\([^)]*\)")
ESCAPED = re.compile(r"\\([*_#\[\]`>])")  # markdown escapes: "20%\*20%" shows as "20%*20%"
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
LIST_ITEM = re.compile(r"\s*(?:[-*+•·]\s|\d{1,2}[.)）、](?!\d)|[（(]\d{1,2}[）)])")


def lead_marks_end(text: str, start: int, end: int) -> int:
    """Where the line's content starts past its markdown marks (list, checkbox, heading, emphasis)."""
    while (mark := LEAD_MARKS.match(text, start, end)) and mark.end() != start:
        start = mark.end()
    return start


def inline_plain(text: str) -> str:
    """Text without inline markdown: emphasis, code ticks, images, escapes; a link shows its words."""
    return LINK.sub(r"\1", INLINE.sub("", ESCAPED.sub(r"\1", text)))


def clip(text: str, limit: int) -> str:
    """text, or its first limit-1 characters and "…" when it is longer (snippets, titles)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_passage(text: str) -> str:
    """A passage as a reader sees it on one line: each line without its markdown marks.

    A search result or an LLM answer's citation snippet showed "- [ ] 试用合同模板增加…" and
    "## 根因" verbatim (the issue: "Markdown leaks into answers and source views").
    """
    out = ""
    for line in text.splitlines():
        content = lead_marks_end(line, 0, len(line))
        shown = " ".join(inline_plain(line[content:]).split())
        if shown:
            # a list item stays an item on one line ("… · …"); paragraphs just follow each other
            gap = " · " if out and LIST_ITEM.match(line) else " "
            out += (gap if out else "") + shown
    return out

@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc  # lazy: loads conversion tables on first use

    return opencc.OpenCC("t2s").convert


@lru_cache(maxsize=1)
def _tw2sp() -> Callable[[str], str]:
    import opencc  # lazy, as _t2s

    return opencc.OpenCC("tw2sp").convert


def regional_words(text: str) -> list[tuple[str, str]]:
    """(word, mainland word) for each word a Taiwan reader writes where the mainland sources write
    another ("專案" → 项目, "軟體" → 软件, "資訊" → 信息): OpenCC's Taiwan phrases, read word by word.

    Both sides are folded (simplified, lower case) jieba words; the pairs come from where OpenCC's
    character conversion (t2s) and its phrase conversion (tw2sp) of the text differ, widened to
    whole words on each side. Empty for text without such words (and for simplified text, which
    OpenCC's Taiwan phrases do not touch).
    """
    return [(word, mainland) for word, mainland, _ in regional_edits(text)]


def regional_edits(text: str) -> list[tuple[str, str, str]]:
    """regional_words with a third part: the word with only the changed characters replaced (软体 →
    软件, where the whole mainland word is 软件产品), for replacing the word inside the text."""
    folded = unicodedata.normalize("NFKC", text)
    plain, mainland = _t2s()(folded).lower(), _tw2sp()(folded).lower()
    if plain == mainland:
        return []
    from difflib import SequenceMatcher

    edits: list[tuple[str, str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, plain, mainland, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        start, word = _word_span(plain, i1, i2)
        edit = (word, _word_span(mainland, j1, j2)[1], word[: i1 - start] + mainland[j1:j2] + word[i2 - start :])
        if edit[0] and edit[1] and edit[0] != edit[1] and edit not in edits:
            edits.append(edit)
    return edits


def _word_span(text: str, start: int, end: int) -> tuple[int, str]:
    """Where the jieba words of text overlapping [start, end) begin, and those words joined (the
    whole word a change falls in)."""
    out, pos, first = "", 0, start
    for word in _jieba().lcut(text):
        if pos < max(end, start + 1) and pos + len(word) > start:
            first = pos if not out else first
            out += word
        pos += len(word)
    return first + len(out) - len(out.lstrip()), out.strip()


def simplified(text: str) -> str:
    """Traditional characters as simplified ones, nothing else changed (case, width, punctuation)."""
    return _t2s()(text)


def normalize(text: str) -> str:
    """Fold text for matching: NFKC (full-width→half-width), traditional→simplified, lower case."""
    return _t2s()(unicodedata.normalize("NFKC", text)).lower()


def fold_compact(text: str) -> str:
    """normalize() without white space: the form in which a quote is looked for in a text
    ("签 3 年排他" and "签3年排他" match)."""
    return "".join(normalize(text).split())


def fold_chars(text: str) -> str:
    """normalize() character by character, keeping a character whose fold is not one character:
    the result has text's length, so offsets found in it hold in text."""
    return "".join(folded if len(folded := normalize(ch)) == 1 else ch for ch in text)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans [s, e) of the sentences of text[start:end], whitespace trimmed, enders kept."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    ascii_stops = {m.start() for m in ASCII_STOP.finditer(text, start, end)}
    i = seg = start
    while i < end:
        ch = text[i]
        if ch == "\n":
            _add_trimmed(text, seg, i, spans)
            seg = i + 1
        elif ch in SENTENCE_END or i in ascii_stops:
            j = i + 1
            while j < end and (text[j] in SENTENCE_END or text[j] in CLOSERS):
                j += 1
            _add_trimmed(text, seg, j, spans)
            seg = i = j
            continue
        i += 1
    _add_trimmed(text, seg, end, spans)
    return spans


def _add_trimmed(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    # A lone punctuation mark (e.g. a closing quote on its own line) is not a sentence.
    if e > s and any(ch.isalnum() for ch in text[s:e]):
        spans.append((s, e))


def bigram_tokens(normalized: str) -> list[str]:
    """Character bigrams of CJK runs (a lone character stays a unigram) plus ASCII words."""
    tokens: list[str] = []
    for run in CJK_RUN.findall(normalized):
        if len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    tokens.extend(WORD.findall(normalized))
    return tokens


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba  # lazy: builds its dictionary (~1 s) only when the jieba tokenizer is used

    jieba.setLogLevel(logging.WARNING)
    return jieba


def jieba_tokens(normalized: str) -> list[str]:
    """jieba search-mode words (long words and their parts) with a letter, digit or CJK character."""
    return [t for t in _jieba().lcut_for_search(normalized) if any(ch.isalnum() for ch in t) and not t.isspace()]


def jieba_words(normalized: str) -> list[str]:
    """jieba's precise segmentation: each word once, as a reader would split the sentence."""
    return [t for t in _jieba().lcut(normalized) if any(ch.isalnum() for ch in t) and not t.isspace()]


def dictionary_pieces(word: str) -> list[str]:
    """jieba's segmentation of a word from its dictionary alone, without guessing new words (HMM off)."""
    return [t for t in _jieba().lcut(word, HMM=False) if not t.isspace()]


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    import jieba.posseg  # lazy: loads jieba's part-of-speech table (~0.4 s) on first use

    tags: dict[str, str] = jieba.posseg.dt.word_tag_tab
    return tags


def context_tags(normalized: str) -> list[tuple[str, str]]:
    """jieba's words of a text with the part of speech its tagger reads for each in context: a word
    the dictionary lacks gets the tag of its HMM over words and tags ("跌成白菜价" → 跌成 v)."""
    import jieba.posseg  # lazy, as _word_tags

    return [(pair.word, pair.flag) for pair in jieba.posseg.dt.cut(normalized) if not pair.word.isspace()]


def word_tag(word: str) -> str:
    """jieba's dictionary part-of-speech tag of a word ("n", "nr", "v", …); "" when it is no dictionary word."""
    return _word_tags().get(word, "")


def tokenize(text: str, tokenizer: str) -> list[str]:
    """Normalise then tokenise with the named tokenizer: bigram or jieba."""
    normalized = normalize(text)
    if tokenizer == "bigram":
        return bigram_tokens(normalized)
    if tokenizer == "jieba":
        return jieba_tokens(normalized)
    raise ValueError(f"unknown tokenizer {tokenizer!r}")


def char_ngrams(normalized: str, n: int = 2) -> set[str]:
    """Set of character n-grams of the alphanumeric/CJK content (punctuation and spaces dropped)."""
    kept = "".join(ch for ch in normalized if ch.isalnum())
    if len(kept) < n:
        return {kept} if kept else set()
    return {kept[i : i + n] for i in range(len(kept) - n + 1)}


# Whitespace as Python's str.isspace() and JSON Schema's (ECMAScript) \s count it, spelled out so
# a schema `pattern` and the server's check agree under either regex engine (\s does not).
BLANK_CHARS = ("\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
               "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")
NOT_BLANK = "[^" + "".join(f"\\u{ord(c):04x}" for c in BLANK_CHARS) + "]"  # some visible character


def strip_blank(value: str) -> str:
    """value without surrounding BLANK_CHARS; ValueError when nothing else is left."""
    stripped = value.strip(BLANK_CHARS)
    if not stripped:
        raise ValueError("only whitespace")
    return stripped


# Question scaffolding: asks *how* or *what*, says nothing about the subject.
ZH_STOP = frozenset([
    "什么", "怎么", "怎样", "怎么样", "如何", "为什么", "为何", "哪些", "哪个", "哪里", "哪儿", "多少", "几个", "是否", "是不是", "有没有",
    "能否", "可以", "可能", "需要", "应该", "还是", "或者", "以及", "这个", "那个", "这些", "那些", "一个", "一些", "我们", "你们", "他们",
    "它们", "自己", "大家", "文章", "作者", "资料", "提到", "说明", "介绍", "有关", "关于", "主要", "通常", "一般", "具体", "分别", "之间",
    "时候", "最后", "后来", "当时", "现在", "目前", "如果", "因为", "所以", "但是", "而且", "已经", "还有", "没有", "多久", "多长", "多长时间",
    "什么样", "哪几个", "哪家", "那家", "那次", "几篇", "两篇", "几份", "之前", "之后", "期间", "到底", "的话", "各自", "这类", "最近",
    "今年", "哪些方面", "哪些因素", "那边", "不同", "其他", "很多", "为了", "一下",
    # how people type the question words into a chat (round-14 trial: "干嘛" named as a missing subject)
    "为啥", "干嘛", "干啥", "啥样", "咋样",
    # how the sources judge or put it: asks for their view, names no subject
    "评价", "看待", "看法", "观点", "认为", "理解", "形容", "比喻", "体现", "讲了", "怎么看",
    # Cantonese question and grammar words, as OpenCC folds them (round-15 trial: a Hong Kong user's
    # "喺試用期入面" was refused as "資料中沒有提到入面"; 嗰 folds to 𠮶)
    "入面", "里面", "乜嘢", "咩嘢", "做咩", "点解", "点样", "点算", "几多", "边个", "边度", "边间", "而家", "𠮶个",
    "𠮶啲", "呢个", "呢啲", "咁样", "系咪", "系唔系", "有冇", "佢哋", "我哋", "你哋",
])
EN_STOP = frozenset([
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as",
    "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "done", "how", "what", "why",
    "which", "who", "whom", "whose", "when", "where", "whether", "i", "you", "he", "she", "it", "we",
    "they", "me", "my", "our", "your", "their", "its", "this", "that", "these", "those", "there", "here",
    "can", "could", "should", "would", "will", "shall", "may", "might", "must", "not", "no", "yes", "any",
    "some", "many", "much", "more", "most", "about", "into", "than", "then", "so", "if", "else", "also",
    "just", "only", "very", "too", "get", "got", "have", "has", "had", "make", "made", "use", "used",
    "need", "needs", "say", "said", "tell", "between", "each", "other", "such", "same", "own", "per",
    "via", "vs", "versus", "one", "two", "three", "first", "last", "new", "old",
])

# Headings. Chunking follows these (ingest/chunker.py): markdown, and the numbered sections of
# plain-text articles ("1. 背景", "a. 市场": short, no sentence end).
MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
NUMBERED_HEADING = re.compile(r"^(?:(\d{1,2})|([a-h]))[.、．][ \t]*([^。！？；!?;，,：:]{1,20})$")
# A source's section label also reads these (heading_path_at, labels=True), which chunking does not
# (round 14: splitting chunks at them cost dev and every probe; docs/answers.md): a lettered heading
# with a gloss in brackets, up to 50 characters, and Chinese ordinals ("反思四：……", "一、……",
# "第二章 ……"). Round-14 trial: passages under 反思四 were labelled "反思 › b. 资源管理策略", the
# last heading chunking knew.
LONG_NUMBERED_HEADING = re.compile(r"^(?:(\d{1,2})|([a-h]))[.、．][ \t]*([^。！？；!?;，,：:]{1,50})$")
ORDINAL_HEADING = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,4}[一二三四五六七八九十]{1,3}[：:]|[一二三四五六七八九十]{1,3}、"
    r"|第[一二三四五六七八九十\d]{1,3}[章节部分篇][：:、 \t]?)[ \t]*[^。!！]{1,40}$")


def heading(line: str, labels: bool = False) -> tuple[int, str]:
    """(level, title) of a heading line, (0, "") for any other: markdown 1–6, "1." 7, an ordinal
    ("反思一：", labels only) 8, "a." 9."""
    md = MD_HEADING.match(line)
    if md:
        return len(md.group(1)), md.group(2).strip("*_ ")
    num = NUMBERED_HEADING.match(line) or (LONG_NUMBERED_HEADING.match(line) if labels else None)
    if num:
        return (7 if num.group(1) else 9), line
    if labels and ORDINAL_HEADING.match(line):
        return 8, line
    return 0, ""


def heading_path(stack: list[tuple[int, str]]) -> str:
    """The titles of a heading stack, outermost first: "h1 > h2 > …"."""
    return " > ".join(title for _, title in stack)


def heading_path_at(text: str, offset: int) -> str:
    """The heading path (labels=True) of the section holding text[offset]."""
    path = ""
    for start, section in _label_sections(text):
        if start > offset:
            break
        path = section
    return path


@lru_cache(maxsize=32)
def _label_sections(text: str) -> tuple[tuple[int, str], ...]:
    """(where a section's body starts, its heading path) for every heading, in order; cached per
    document text."""
    stack: list[tuple[int, str]] = []
    out: list[tuple[int, str]] = [(0, "")]
    pos = 0
    for line in text.splitlines(keepends=True):
        level, title = heading(line.strip(), labels=True)
        pos += len(line)
        if level:
            stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
            out.append((pos, heading_path(stack)))
    return tuple(out)
