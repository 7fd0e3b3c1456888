"""Composition: turn the selected units into the answer shape (lead, points, labels, frames).

- every answer: a lead (the best unit, cited), then distinct points, numbered;
- list questions: one numbered item per list item — picked units that follow each other on one
  line of their passage (a list item and the sentence that continues it) are quoted as one
  item; the best item leads (or, when it is one of several picked items of one enumerated list
  and that list's first picked item scores within SIBLING_MARGIN of it, that first item, so the
  list reads in its own order), the others follow in source order;
- a quoted list item or action item without closing punctuation gets a full stop, so every
  lead and point reads as a sentence;
- compare questions naming two sides ("B端和C端……"): the points that speak of one side only grouped
  under that side's label, when each side has one; otherwise the points grouped per source under
  a label naming it;
- agree questions with two or more sources: a stance part — "观点不一致：" when one source's
  quotes are affirmative and another's negated or qualified (stance(), negation and contrast
  cues; a source's stance is that of its best quote that addresses the question, addressing();
  a source with no such quote takes none and is tagged "未直接谈及此问题"), else the neutral
  "各来源的说法：" — then every quote under its source's label (with its stance when they
  disagree), addressing sources first; in English that label is the one frame ("The 2 sources
  (in Chinese) disagree:"); with one source only, a label saying the quotes all come from it;
- Chinese questions: quotes converted (OpenCC) into the question's script; citations keep the
  original span and text;
- English questions: an English frame ("2 sources (in Chinese) give these reasons:"), English
  labels, and a closing line glossing the glossary terms the quotes use; quotes stay Chinese;
- follow-ups: a frame showing how the question was read;
- the points stop at `max_chars` characters; the lead is always kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.answer.analysis import QuestionAnalysis, denial, to_script
from assistant.answer.select import Scored, answers_ask
from assistant.answer.units import EvidenceUnit
from assistant.core.types import AnswerSentence, Citation, Hit
from assistant.retrieve.glossary import Glossary
from assistant.text import CJK, ZH_STOP, clip, jieba_words, normalize, plain_passage, regional_words

# English frame verbs per question type: (one source, one quote), (one source, several quotes),
# (several sources). "1 source gives this reason:" above three reasons read wrong.
EN_FRAMES = {
    "why": ("gives this reason", "gives these reasons", "give these reasons"),
    "how": ("suggests this", "suggests the following", "suggest the following"),
    "list": ("lists this", "lists these", "list these"),
    "compare": ("compares them as follows", "compares them as follows", "compare them as follows"),
    "agree": ("says this", "says the following", "say the following"),
    "number": ("gives this figure", "gives these figures", "give these figures"),
}
DEFAULT_FRAME = ("says this", "says the following", "say the following")
LESSON_FRAME = ("gives this lesson", "gives these lessons", "give these lessons")  # "What did we learn about …?"
SNIPPET_CHARS = 48
# The "Key terms" line of an English answer: at most this many glosses, of which at most
# QUOTE_GLOSSES are terms the quotes use that the question did not ask about.
MAX_GLOSSES = 6
QUOTE_GLOSSES = 3
COMMON_SHARE = 0.5
# How far below the best item a list's first item may score and still lead the list in its own
# order. Items of one enumeration asked for as a whole score within ~0.01 of each other; an item
# that answers a narrower question stands ~0.05 above its siblings.
SIBLING_MARGIN = 0.02
TERMINAL = "。！？；.!?;…"
CLOSING = "”’」』）)]》\"' "
OPEN_ENDS = "，,、：:"
ITEM_GAP = re.compile(r"[ \t\u3000*_`]*")  # what may sit between two sentences of one list item

# Polarity cues, in folded (simplified, lower-case) text. A quote is "negative" when it carries a
# negation or a contrast (不/没有/并非/难以/但是/然而…, not/never/but/however…) once the words that
# only look negated are taken out (不断, 不同, 不仅, 未来, 不可或缺…; 好不 + adjective is an
# intensifier, "how very": 好不热闹 = very lively); otherwise "affirmative".
NOT_NEGATION = re.compile(
    r"不断|不少|不仅|不同|不管|不论|不久|不妨|不错|不但|不止|不光|不乏|不禁|不得不|不可或缺|不容忽视|"
    r"不言而喻|差不多|未来|无论|毫无疑问|并且|好不(?!好)"
)
NEGATION = re.compile(
    r"不|没|未|无法|无需|无从|并非|绝非|非但|难以|很难|缺乏|缺少|但|然而|却|反而|可是|"
    r"\b(not|no|never|cannot|without|neither|nor|however|but|unlikely|fails?|failed)\b|n't\b"
)
# A negative finding said without a negation word (round 7c): a loss, a failure, a predicament.
# "而定制化项目扯皮……各种窘境的缘由，则在于服务商丧失了对需求的控制力" read as affirmative against a
# source saying the same with 没法交付, and the answer said the sources disagree; "A项目……最终放弃"
# is a negative outcome. Words of evaluation, not topics (风险, 障碍 name what is discussed).
ADVERSE = re.compile(
    r"丧失|失去|困境|窘境|失败|放弃|亏损|亏本|破裂|停滞|流失|遥遥无期|举步维艰|得不偿失|入不敷出|无利可图|"
    r"做多收少|扯皮|幻灭|泡沫破|"
    r"\b(lost|lose[sd]?|losing|loss(es)?|failures?|stall(ed|s)?|collapsed?|struggl\w+|unprofitable|abandon(ed|s)?)\b"
)
STANCE_LABELS = {  # (disagree, neutral) per script; English: the one frame, {n} sources counted
    "hans": ("观点不一致：", "各来源的说法："),
    "hant": ("觀點不一致：", "各來源的說法："),
    "latin": ("The {n} sources (in Chinese) disagree:", "What each of the {n} sources (in Chinese) says:"),
}
# A source addresses an agree question when one of its quotes holds at least this share of the
# cover (select.Scored.cover: the IDF-weighted share of the question's content words, or of an
# English question's glossary phrases) of the best-covering quote. Only such sources take a stance:
# a second source's abstract kept to be heard ("本文详细探讨了……，为企业提供了有益的参考") holds
# none of "custom projects … profitable" and read as "(affirms)", a disagreement the sources
# do not have. When no quote holds any content word (cover 0 everywhere), every source addresses it.
ADDRESS_SHARE = 0.5
ONE_SOURCE = {  # agree questions whose quotes all come from one source: nothing to compare
    "hans": "以下引文都出自同一来源：", "hant": "以下引文都出自同一來源：",
}
ONE_SIDE = {  # compare questions one of whose sides no retrieved passage names (round-10 trial:
    # "POC和正式交付项目……有什么区别？" got POC lessons and no word that nothing compares them)
    "hans": "资料中没有谈到“{absent}”，无法直接比较；以下是关于“{present}”的内容：",
    "hant": "資料中沒有談到「{absent}」，無法直接比較；以下是關於「{present}」的內容：",
    "latin": "The sources do not mention {absent}, so they cannot compare the two; this is what they say about {present}:",
}
# The label above the second group of points of a question with two asks (analysis.two_asks): "原因是
# 什么？又该如何预防？" reads the causes, then what to do about them.
ASK_LABELS = {
    "hans": {"why": "原因：", "how": "怎么做：", "what": "当时的情况："},
    "hant": {"why": "原因：", "how": "怎麼做：", "what": "當時的情況："},
    "latin": {"why": "Why:", "how": "What to do:", "what": "What happened:"},
}
STANCE_TAGS = {  # a source's stance, shown on its label when the sources disagree; "aside": a
    # source whose quotes do not address the question (always shown, it takes no stance)
    "hans": {"affirmative": "（肯定）", "negative": "（否定或保留）", "aside": "（未直接谈及此问题）"},
    "hant": {"affirmative": "（肯定）", "negative": "（否定或保留）", "aside": "（未直接談及此問題）"},
    "latin": {"affirmative": " (affirms)", "negative": " (negates or qualifies)",
              "aside": " (does not address the question)"},
}


@dataclass
class Composition:
    """The answer sentences (in display order) and the citations they use."""

    sentences: list[AnswerSentence]
    citations: list[Citation]


def compose(
    analysis: QuestionAnalysis, chosen: list[Scored], hits: list[Hit], max_chars: int,
    glossary: Glossary | None = None, read_as: str | None = None,
    share: Callable[[str], float] | None = None,
) -> Composition:
    """The answer's sentences and citations for the chosen units (lead first)."""
    numbers: dict[int, int] = {}
    snippets: dict[int, str] = {}
    # A Chinese question gets no English-prose quote while a Chinese one is left (the language rule).
    chosen = [s for s in chosen if analysis.speaks(s.unit.text)] or chosen
    asks = analysis.two_asks
    grouped = by_ask(chosen, asks) if asks and analysis.qtype != "list" else None
    lead, *points = _list_order(chosen, hits) if analysis.qtype == "list" else grouped or chosen
    if analysis.summary:  # what one source says (round 8): its points in the source's order, so a
        # postmortem reads background → account → cause → lessons, not by relevance
        points = sorted(points, key=lambda s: (s.unit.doc_id, s.unit.start))
    points = _within(points, max_chars - len(lead.unit.text))
    sided = _by_side(points, analysis, glossary or Glossary()) if analysis.qtype == "compare" else []
    if analysis.qtype == "agree" and len({p.unit.doc_id for p in [lead, *points]}) > 1:
        body = _stance_part(lead, points, hits, analysis, numbers, snippets)
    elif analysis.qtype == "agree" and not analysis.english:  # English: the frame says "1 source"
        body = [_label(ONE_SOURCE[analysis.script]), _quote(lead, "lead", analysis, numbers, snippets)]
        body += [_quote(p, "point", analysis, numbers, snippets) for p in points]
    elif analysis.qtype == "compare" and sided:
        body = [_quote(lead, "lead", analysis, numbers, snippets)]
        for label, group in sided:
            if label:
                body.append(_label(label))
            body += [_quote(p, "point", analysis, numbers, snippets) for p in group]
    # which source says it, or what the sources say: each source's title, then its quotes (a compare
    # question across the sources keeps its own per-source shape below, its lead unlabelled)
    elif analysis.names_source or (analysis.across and analysis.qtype != "compare"):
        body = _per_source(lead, points, hits, analysis, numbers, snippets, with_lead=True)
    elif analysis.qtype == "compare" and len({p.unit.doc_id for p in chosen}) > 1:
        body = [_quote(lead, "lead", analysis, numbers, snippets)]
        body += _per_source(lead, points, hits, analysis, numbers, snippets)
    elif asks and grouped:
        body = [_quote(lead, "lead", analysis, numbers, snippets)]
        second = next((i for i, p in enumerate(points) if answers_ask(p.unit, asks[1])), len(points))
        body += [_quote(p, "point", analysis, numbers, snippets) for p in points[:second]]
        if second < len(points):  # _within may have cut the second group
            body.append(_label(ASK_LABELS[analysis.script][asks[1]]))
        body += [_quote(p, "point", analysis, numbers, snippets) for p in points[second:]]
    else:
        body = [_quote(lead, "lead", analysis, numbers, snippets)]
        if points and analysis.english:
            body.append(_label("Further points:"))
        body += [_quote(p, "point", analysis, numbers, snippets) for p in points]
    if analysis.qtype == "compare" and (missing := _unnamed_side(analysis, hits)):
        body.insert(0, _frame(missing))
    sources = len({hits[rank].chunk.doc_id for rank in numbers})
    stance_frame = analysis.qtype == "agree" and sources > 1  # its stance label is the English frame
    frames = _frames(analysis, sources, read_as, quotes=len(_quotes_of(body)), english=not stance_frame,
                     compared=bool(sided))
    if no := denial(analysis, lead.unit.text, glossary):
        frames.insert(1 if read_as else 0, _frame(no))  # the short answer first, after how it was read
    closing = _glosses(analysis, [lead, *points], glossary, share)
    citations = [Citation(n, hits[rank], snippet=snippets[rank]) for rank, n in numbers.items()]
    return Composition(frames + body + closing, citations)


def by_ask(chosen: list[Scored], asks: tuple[str, str]) -> list[Scored] | None:
    """A two-ask answer in the question's order: the units answering its first ask (the lead among
    them), those answering neither, then those answering the second (shown under its ASK_LABELS
    label); each group best first: the lead when it is in the group, then by relevance. None when
    one group would be empty (no label then)."""
    def best_first(s: Scored) -> tuple[bool, float]:
        # chosen's order after the lead is the order units were kept in (the top passage's best unit
        # first), not how well they answer: an article's "……距离养家糊口的距离太远" led a why-ask
        # over the postmortem's root cause 0.015 above it, once the lead (a lesson) moved to "What to do:"
        return s is not chosen[0], -s.relevance
    second = sorted((s for s in chosen if answers_ask(s.unit, asks[1])), key=best_first)
    first = sorted((s for s in chosen if s not in second),
                   key=lambda s: (not answers_ask(s.unit, asks[0]), *best_first(s)))
    return [*first, *second] if first and second else None


def _list_order(chosen: list[Scored], hits: list[Hit]) -> list[Scored]:
    """List answers: one entry per item (units of one item merged), the best item (or its
    list's first picked item, _first_sibling) leading, the other items following in source order."""
    items: list[list[Scored]] = []
    for s in sorted(chosen, key=lambda s: (s.unit.hit_rank, s.unit.start)):
        if items and same_item(items[-1][-1].unit, s.unit, hits):
            items[-1].append(s)
        else:
            items.append([s])
    best = next(i for i, item in enumerate(items) if chosen[0] in item)
    lead = _first_sibling(items, best)
    return [_merged(items[lead]), *(_merged(item) for i, item in enumerate(items) if i != lead)]


def _first_sibling(items: list[list[Scored]], best: int) -> int:
    """When the best item is one of several picked items of the same enumerated list, the list
    reads in its own order ("A项目… / B项目… / C项目…"), so its first picked item leads — unless
    that item is clearly less relevant (more than SIBLING_MARGIN): "哪些项目因为排他条款出问题？"
    asks for the one item about exclusivity, which must lead, not for the whole list."""
    head = items[best][0]
    if not head.unit.list_item:
        return best
    first = next(i for i, item in enumerate(items)
                 if item[0].unit.list_item and item[0].unit.hit_rank == head.unit.hit_rank)
    return first if items[first][0].relevance >= head.relevance - SIBLING_MARGIN else best


def same_item(a: EvidenceUnit, b: EvidenceUnit, hits: list[Hit]) -> bool:
    """b continues a's list item: the next unit of the same passage, on the same line, with only
    white space or emphasis marks between them, and not itself the start of a list item."""
    if not a.list_item or a.hit_rank != b.hit_rank or b.start < a.end or b.list_item:
        return False
    chunk = hits[a.hit_rank].chunk
    if not chunk.start <= a.end <= b.start <= chunk.end:
        return False
    return ITEM_GAP.fullmatch(chunk.text[a.end - chunk.start : b.start - chunk.start]) is not None


def _merged(item: list[Scored]) -> Scored:
    """One quote for the units of one item: the span from the first to the last, texts joined."""
    first, *rest = item
    if not rest:
        return first
    text = first.unit.text
    for s in rest:
        text += ("" if CJK.search(text[-1:] + s.unit.text[:1]) or text[-1:] in TERMINAL + "，、：" else " ") + s.unit.text
    sentence_ids = tuple(dict.fromkeys(sid for s in item for sid in s.unit.sentences))
    unit = replace(first.unit, end=rest[-1].unit.end, text=text, sentence_ids=sentence_ids)
    return Scored(unit, max(s.relevance for s in item), max(s.cosine for s in item), first.vector)


def _within(points: list[Scored], budget: int) -> list[Scored]:
    kept = []
    for point in points:
        budget -= len(point.unit.text)
        if budget < 0:
            break
        kept.append(point)
    return kept


def _quote(s: Scored, kind: str, analysis: QuestionAnalysis, numbers: dict[int, int], snippets: dict[int, str]) -> AnswerSentence:
    u = s.unit
    n = numbers.setdefault(u.hit_rank, len(numbers) + 1)
    snippets.setdefault(u.hit_rank, _shorten(u.text))
    return AnswerSentence(
        text=_closed(to_script(u.text + _owner_due(u, analysis), analysis.script)), citations=[n], supported=True, support=1.0,
        doc_id=u.doc_id, start=u.start, end=u.end, kind=kind,
    )


def _owner_due(unit: EvidenceUnit, analysis: QuestionAnalysis) -> str:
    """An action item's owner and due date, for a question that asks who does it by when ("" otherwise:
    "—— 交付负责人 —— 2024-11-30" is noise in the answer to a why-question)."""
    if not (analysis.owners and unit.owner):
        return ""
    if analysis.english:
        return f" (owner: {unit.owner}, due {unit.due})"
    return f"（负责人：{unit.owner}；截止：{unit.due}）"


def _by_side(points: list[Scored], analysis: QuestionAnalysis, glossary: Glossary) -> list[tuple[str, list[Scored]]]:
    """Compare questions naming two sides ("B端和C端……有什么区别？"): the points that speak of one
    side only, under that side's label, after the points that speak of both or neither; [] unless
    each side has a point of its own (then the points stay grouped per source, or in order). An
    English side is also found in the Chinese the glossary gives it (B2B → B端)."""
    if len(analysis.sides) != 2:
        return []
    forms = [(normalize(side), *(normalize(t) for _, _, terms in glossary.translations(side) for t in terms))
             for side in analysis.sides]
    general: list[Scored] = []
    groups: list[list[Scored]] = [[], []]
    for p in points:
        text = normalize(p.unit.text)
        hits = [i for i, names in enumerate(forms) if any(name in text for name in names)]
        (groups[hits[0]] if len(hits) == 1 else general).append(p)
    if not all(groups):
        return []
    colon = ":" if analysis.english else "："
    labels = [to_script(side, analysis.script) + colon for side in analysis.sides]
    return [("", general), *zip(labels, groups, strict=True)]


def _unnamed_side(analysis: QuestionAnalysis, hits: list[Hit]) -> str:
    """The note for a compare question one of whose two sides no retrieved passage names (in its
    text, title or section), while the other is named; "" otherwise."""
    if len(analysis.sides) != 2:
        return ""
    passages = [normalize(h.chunk.lexical_text()) for h in hits]
    # A side is named when one passage holds all its words: sides are cut loosely from the question
    # ("CIO和CEO应用AIGC的目的……" gives "CEO应用AIGC", which a passage names as CEO … AIGC).
    named = [any(all(any(form in text for form in forms) for forms in _side_words(side)) for text in passages)
             for side in analysis.sides]
    if named.count(True) != 1:
        return ""
    present, absent = analysis.sides[named.index(True)], analysis.sides[named.index(False)]
    return ONE_SIDE[analysis.script].format(absent=to_script(absent, analysis.script),
                                            present=to_script(present, analysis.script))


def _side_words(side: str) -> list[tuple[str, ...]]:
    """A compared side's words, each with the forms a passage may write it in: its jieba words and
    Latin tokens, folded, but no scaffolding ("我們的銀行專案": 我们 is no part of the side), and a
    Taiwan word also in its mainland form (專案 → 项目)."""
    regional = dict(regional_words(side))
    words = [w for w in jieba_words(normalize(side)) if (len(w) > 1 or not CJK.search(w)) and w not in ZH_STOP]
    return [(w, regional[w]) if w in regional else (w,) for w in words] or [(normalize(side),)]


def _per_source(
    lead: Scored, points: list[Scored], hits: list[Hit], analysis: QuestionAnalysis,
    numbers: dict[int, int], snippets: dict[int, str], with_lead: bool = False,
) -> list[AnswerSentence]:
    """Points grouped under a label per source, sources in order of their best unit; `with_lead`:
    the lead too, first under its own source's label (a question asking which source says it, or
    what the sources say)."""
    out: list[AnswerSentence] = []
    quoted = [lead, *points] if with_lead else points
    order = list(dict.fromkeys(p.unit.doc_id for p in [lead, *points]))
    for doc_id in order:
        group = [p for p in quoted if p.unit.doc_id == doc_id]
        if not group:
            continue
        out.append(_label(_source_label(doc_id, hits, analysis)))
        out += [_quote(p, "lead" if p is lead else "point", analysis, numbers, snippets) for p in group]
    return out


def polarity(text: str) -> str:
    """"negative" when the text carries a negation or contrast cue, or names an adverse outcome
    (ADVERSE: 丧失/困境/失败/放弃…), else "affirmative"."""
    folded = NOT_NEGATION.sub("", normalize(text))
    return "negative" if NEGATION.search(folded) or ADVERSE.search(folded) else "affirmative"


def stance(texts: list[str]) -> str:
    """A source's stance: the polarity of its best quote that addresses the question (its first;
    the caller passes those quotes, best first).

    Its best quote is what the source says about the question; a majority over all its quotes
    let incidental sentences outvote it (tried on "关于定制化项目能不能赚钱，各篇文章的观点一致吗？":
    a source whose best quote ends "…都没有太多实际收益" came out affirmative, three quotes to two).
    No quote that addresses the question: "aside", no stance.
    """
    return polarity(texts[0]) if texts else "aside"


def addressing(quotes: list[Scored], english: bool = False) -> list[Scored]:
    """The quotes that address the question: those holding at least ADDRESS_SHARE of the best
    quote's cover of the question's content words, or (a Chinese question) of the best quote's
    share of the question's bigrams; all of them when none holds any."""
    def near_best(measure: Callable[[Scored], float]) -> set[int]:
        best = max((measure(s) for s in quotes), default=0.0)
        return {id(s) for s in quotes if best > 0 and measure(s) >= ADDRESS_SHARE * best}

    held = near_best(lambda s: s.cover) | (set() if english else near_best(lambda s: s.overlap))
    # A quote that holds none of the question's content words, while another does, shares only its
    # scaffolding ("这个问题"): round-13 trial, a passage on training-data rules stood as a source's
    # stance on "要不要先做POC".
    holding = {id(s) for s in quotes if s.cover > 0}
    if holding:
        held &= holding
    return [s for s in quotes if id(s) in held] if held else list(quotes)


def disagree(stances: dict[str, str]) -> bool:
    """Sources disagree when one is affirmative and another negative ("aside" sources take no
    stance and disagree with nobody)."""
    return {"affirmative", "negative"} <= set(stances.values())


def _stance_part(
    lead: Scored, points: list[Scored], hits: list[Hit], analysis: QuestionAnalysis,
    numbers: dict[int, int], snippets: dict[int, str],
) -> list[AnswerSentence]:
    """Agree questions: the stance label, then each source's quotes under its label.

    A source's stance is read from its quotes that address the question (`addressing`); a source
    with none takes no stance, is tagged as not addressing the question and comes after the
    sources that do. The sources disagree only when two addressing sources take opposite stances.
    The first quote shown leads: the lead, unless its source does not address the question.
    """
    groups: dict[str, list[Scored]] = {}
    for s in [lead, *points]:
        groups.setdefault(s.unit.doc_id, []).append(s)
    relevant = {id(s) for s in addressing([lead, *points], analysis.english)}
    stances = {doc_id: stance([s.unit.text for s in group if id(s) in relevant])
               for doc_id, group in groups.items()}
    order = sorted(groups, key=lambda doc_id: stances[doc_id] == "aside")  # stable: best quote first
    split = disagree(stances)
    label = STANCE_LABELS[analysis.script][0 if split else 1].format(n=len(groups))
    out = [_label(label)]
    first = groups[order[0]][0]
    for doc_id in order:
        shown = split or stances[doc_id] == "aside"
        tag = STANCE_TAGS[analysis.script][stances[doc_id]] if shown else ""
        out.append(_label(_source_label(doc_id, hits, analysis, tag)))
        out += [_quote(s, "lead" if s is first else "point", analysis, numbers, snippets) for s in groups[doc_id]]
    return out


def _source_label(doc_id: str, hits: list[Hit], analysis: QuestionAnalysis, tag: str = "") -> str:
    """《title》： (or Source: title), with the source's stance tag when one is given."""
    title = next(h.chunk.title for h in hits if h.chunk.doc_id == doc_id)
    return f"Source: {title}{tag}" if analysis.english else f"《{to_script(title, analysis.script)}》{tag}："


def _quotes_of(body: list[AnswerSentence]) -> list[AnswerSentence]:
    """The quotes of an answer body (its lead and points, not its labels)."""
    return [s for s in body if s.kind in ("lead", "point")]


def _frames(
    analysis: QuestionAnalysis, sources: int, read_as: str | None, quotes: int = 1, english: bool = True,
    compared: bool = False,
) -> list[AnswerSentence]:
    """The read-as frame of a follow-up, then (English, unless `english` is False: an agree answer's
    stance label counts the sources itself) "2 sources (in Chinese) give these reasons:". A compare
    answer says "compare them" only when it sets the sides apart (`compared`); otherwise it only
    quotes what the sources say (round-19 trial: "2 sources compare them as follows:" above
    quotes that compared nothing)."""
    frames = []
    if read_as:
        frames.append(_frame(f"(Read as: {read_as})" if analysis.english else f"（按“{read_as}”理解）"))
    if analysis.english and english:
        verbs = _frame_verbs(analysis, compared)
        verb = verbs[2] if sources > 1 else verbs[quotes > 1]
        frames.append(_frame(f"{sources} source{'s' if sources > 1 else ''} (in Chinese) {verb}:"))
    return frames


def _frame_verbs(analysis: QuestionAnalysis, compared: bool) -> tuple[str, str, str]:
    """The English frame's verbs: the question type's, but plain "say the following" above two asks'
    answers ("give these reasons" above what to do) and above a compare that sets no sides apart."""
    if analysis.lessons:
        return LESSON_FRAME
    if analysis.two_asks or (analysis.qtype == "compare" and not compared):
        return DEFAULT_FRAME
    return EN_FRAMES.get(analysis.qtype, DEFAULT_FRAME)


def _glosses(
    analysis: QuestionAnalysis, chosen: list[Scored], glossary: Glossary | None,
    share: Callable[[str], float] | None = None,
) -> list[AnswerSentence]:
    """English questions: the Chinese terms a reader needs to follow the quotes, glossed.

    First the question's glossary phrases as the quotes use them ("试用期 = trial period"), then
    domain terms the quotes use that the question did not ask about (_quote_terms). One gloss per
    English phrase (泼天 and 富贵 are both "windfall": the first), at most MAX_GLOSSES in all.
    """
    if not analysis.english or glossary is None:
        return []
    quoted = normalize("".join(s.unit.text for s in chosen))
    lines = _question_terms(analysis.question, glossary, quoted)
    for term in _quote_terms(glossary, quoted, list(lines), share):
        english = glossary.english(term)
        if english and english not in lines.values():
            lines[term] = english
    glosses = [f"{chinese} = {english}" for chinese, english in lines.items()][:MAX_GLOSSES]
    return [_frame("Key terms: " + "; ".join(glosses))] if glosses else []


def _question_terms(question: str, glossary: Glossary, quoted: str) -> dict[str, str]:
    """Chinese term → the question's English phrase for it, for the phrases whose terms the
    quotes use, in the question's order; a phrase inside a longer one glossed ("trial" in
    "trial period") is skipped."""
    pairs: list[tuple[int, str, str]] = []
    taken: set[int] = set()  # question characters already glossed
    for pattern, terms in glossary.entries:  # longest phrases first
        match = pattern.search(question)
        found = [t for t in terms if _quoted(t, glossary, quoted)]
        if match and found and not taken & set(range(*match.span())):
            taken |= set(range(*match.span()))
            pairs.append((match.start(), found[0], match.group(0)))  # as the asker wrote it
    return {chinese: english for _, chinese, english in sorted(pairs)}


def _quote_terms(
    glossary: Glossary, quoted: str, glossed: list[str], share: Callable[[str], float] | None,
) -> list[str]:
    """Up to QUOTE_GLOSSES glossary terms the quotes use beyond those already glossed, read
    backwards from the glossary ("需求蔓延 = scope creep"): only terms in at most COMMON_SHARE of
    the corpus's documents (`share`; 客户 or 数据 need no gloss), the rarest first, a term inside
    a longer one (排他 in 排他条款) left out; returned in the order the quotes use them."""
    folded = glossary.folded_terms
    candidates = [t for t, f in folded.items() if len(t) >= 2 and f in quoted and t not in glossed]
    candidates = [t for t in candidates if not any(t in other for other in [*glossed, *candidates] if other != t)]
    rarity = {t: share(folded[t]) if share else 0.0 for t in candidates}
    room = max(min(QUOTE_GLOSSES, MAX_GLOSSES - len(glossed)), 0)
    rarest = sorted((t for t in candidates if rarity[t] <= COMMON_SHARE), key=lambda t: (rarity[t], -len(t)))[:room]
    return sorted(rarest, key=lambda t: quoted.find(folded[t]))


def _quoted(term: str, glossary: Glossary, quoted: str) -> bool:
    """Whether the quotes use a Chinese glossary term (in its folded form)."""
    form = glossary.folded_terms.get(term)
    return bool(CJK.search(term)) and (form if form is not None else normalize(term)) in quoted


def _closed(text: str) -> str:
    """A unit that ends without a sentence end (a list or action item) gets a full stop; a clause
    cut after a comma or colon has that mark replaced ("…等，" → "…等。", not "…等，。")."""
    core = text.rstrip(CLOSING)
    if core and core[-1] in TERMINAL:
        return text
    stop = "。" if CJK.search(text) else "."
    if text and text[-1] in OPEN_ENDS:
        return text[:-1].rstrip() + stop
    return text + stop


def _label(text: str) -> AnswerSentence:
    return AnswerSentence(text=text, citations=[], supported=True, support=1.0, kind="label")


def _frame(text: str) -> AnswerSentence:
    return AnswerSentence(text=text, citations=[], supported=True, support=1.0, kind="frame")


def passage_snippet(text: str) -> str:
    """A whole cited passage as its snippet (the LLM answerer cites passages, not units): read
    without markdown marks, shortened ("- [ ] **…**" showed verbatim in its Sources)."""
    return _shorten(plain_passage(text))


def _shorten(text: str) -> str:
    return clip(text, SNIPPET_CHARS)
