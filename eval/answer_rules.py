"""Rules that judge an answer's form, written once: noise (non-content sentences) and language/script.

Definitions and examples: eval/README.md ("Answer form"). They look only at the answer's text,
never at a question or document of the eval set.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from assistant.text import CJK

# Citation marks such as [1] or [1][2] are not part of a sentence's wording.
CITE_MARK = re.compile(r"\s*\[\d+(?:\s*[,，]\s*\d+)*\]")
MARKDOWN = [
    re.compile(r"^\s*#{1,6}\s"),                 # heading
    re.compile(r"\*\*|__"),                      # bold
    re.compile(r"^\s*[-*+]\s+\[[ xX]\]"),        # task-list box
    re.compile(r"!?\[[^\]\n]*\]\([^)\n]*\)"),    # link or image
    re.compile(r"^\s*[-*+]\s"),                  # bullet
    re.compile(r"^\s*\|.*\|\s*$|^\s*\|?\s*:?-{3,}"),  # table row or rule
    re.compile(r"`"),                            # code
]
# Numbered section headings: 一、 / 第三章 / 2.1 背景 / (一)
SECTION_NUMBER = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十百\d]+[章节部分篇]|"
                            r"\d+(?:\.\d+)+\s|[（(][一二三四五六七八九十\d]+[）)])")
TERMINAL = set("。！？；.!?;…")
CLOSERS = "”’」』）)]》\"' "
QUESTION_END = ("?", "？")
LIST_SEPARATORS = re.compile(r"[、，,/|｜;；]")
LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
MIN_CJK = 8        # a Chinese sentence needs at least this many CJK characters to carry content
MIN_WORDS = 4      # a Latin-script sentence needs at least this many words
KEYWORD_PART = 6   # keyword-list items are at most this many characters
STRUCTURE_KINDS = {"label", "frame"}


def bare(sentence: str) -> str:
    """The sentence without citation marks and surrounding white space."""
    return CITE_MARK.sub("", sentence).strip()


def noise_reason(sentence: str, kind: str = "point") -> str | None:
    """Why this answer sentence is not content (None when it is).

    Labels and frames (uncited structural lines of the answer contract) are only checked for
    Markdown syntax; lead and point sentences must also be full, declarative sentences.
    """
    text = bare(sentence)
    if any(p.search(text) for p in MARKDOWN):
        return "markdown"
    if kind in STRUCTURE_KINDS:
        return None
    core = text.rstrip(CLOSERS)
    if core.endswith(QUESTION_END):
        return "question"
    if SECTION_NUMBER.match(text):
        return "heading"
    if _too_short(text):
        return "fragment"
    if core.endswith(("：", ":")):
        return "lead-in"
    if not core or core[-1] not in TERMINAL:
        return "keywords" if _keyword_list(core) else "title"
    return None


def _too_short(text: str) -> bool:
    cjk = len(CJK.findall(text))
    if cjk:
        return cjk < MIN_CJK
    return len(LATIN_WORD.findall(text)) < MIN_WORDS


def _keyword_list(text: str) -> bool:
    parts = [p.strip() for p in LIST_SEPARATORS.split(text) if p.strip()]
    return len(parts) >= 3 and all(len(p) <= KEYWORD_PART for p in parts)


def noise_rate(sentences: list[tuple[str, str]]) -> float | None:
    """Share of (text, kind) sentences that are noise, over lead/point sentences plus noisy structure."""
    reasons = [(kind, noise_reason(text, kind)) for text, kind in sentences]
    counted = [r for kind, r in reasons if kind not in STRUCTURE_KINDS or r is not None]
    if not counted:
        return None
    return sum(1 for r in counted if r is not None) / len(counted)


# --- language and script ------------------------------------------------------------------------

@lru_cache(maxsize=2)
def _converter(config: str) -> Callable[[str], str]:
    import opencc  # lazy: loading the dictionaries costs ~0.2 s

    return opencc.OpenCC(config).convert


@lru_cache(maxsize=8192)
def char_script(ch: str) -> str:
    """"hant" for a character only traditional text uses, "hans" for a simplified-only one, else ""."""
    if _converter("t2s")(ch) != ch:
        return "hant"
    if _converter("s2t")(ch) != ch:
        return "hans"
    return ""


def script(text: str) -> str:
    """"hant", "hans" or "neutral": the majority of the script-specific characters (OpenCC t2s/s2t)."""
    counts = {"hant": 0, "hans": 0}
    for ch in CJK.findall(text):
        kind = char_script(ch)
        if kind:
            counts[kind] += 1
    if counts["hant"] == counts["hans"]:
        return "neutral"
    return "hant" if counts["hant"] > counts["hans"] else "hans"


def english_framed(text: str) -> bool:
    """True when some line or sentence of the answer is English prose (quotes may stay Chinese)."""
    for piece in re.split(r"[\n。！？]|(?<=[.!?:])\s", unicodedata.normalize("NFKC", text)):
        piece = bare(piece)
        latin = sum(len(w) for w in LATIN_WORD.findall(piece))
        # Latin letters at least twice the CJK characters: "这是 To B 的 SaaS 市场" stays Chinese.
        if len(LATIN_WORD.findall(piece)) >= 3 and latin >= 2 * len(CJK.findall(piece)):
            return True
    return False


def question_language(lang: str, question: str) -> str:
    """"en", "zh-Hant" or "zh-Hans": the question's declared lang, else detected from its text."""
    if lang in ("en", "zh-Hant", "zh-Hans"):
        return lang
    if not CJK.search(question):
        return "en"
    return "zh-Hant" if script(question) == "hant" else "zh-Hans"


def language_match(lang: str, question: str, answer: str) -> bool:
    """English question → English-framed answer; traditional → traditional script; simplified → simplified."""
    want = question_language(lang, question)
    if want == "en":
        return english_framed(answer)
    if not CJK.search(answer) or english_framed(answer):
        return False
    got = script(answer)
    return got == "neutral" or got == ("hant" if want == "zh-Hant" else "hans")
