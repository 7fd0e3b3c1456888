"""The offline default: a lead and distinct cited points quoted from the retrieved passages.

A pipeline of named stages (docs/answers.md): question analysis (analysis.py) → evidence units
(units.py) → selection (select.py) → composition (compose.py). Every sentence is a verbatim
source span (converted into the question's script), so each carries its citation and offsets.
Whether to answer at all is decided before, once, by the pipeline (assistant.answer.answerability).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answer.analysis import QuestionAnalysis, analyse, asks, figure
from assistant.answer.base import Answerer, Context, abstain_message, render_pieces
from assistant.answer.compose import compose
from assistant.answer.premise import figure_frame, premise_frame, unstated_frame
from assistant.answer.select import (
    ANSWERING_SECTIONS,
    HEADING,
    PART_SHARE,
    asked_terms,
    part_terms,
    score_units,
    select,
    term_share,
)
from assistant.answer.units import evidence_units, span_section_path
from assistant.core.settings import Settings
from assistant.core.types import Answer, AnswerSentence, Citation, Hit
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import asked_kind, content_weights
from assistant.store.build_store import LoadedIndex
from assistant.text import fold_compact, normalize

LESSONS = {HEADING["lessons"]}
# A question that names a postmortem's section asks for that section, whatever its type (round 9):
# "蜀川银行那个项目最后定了哪些行动项？" is a list question, and led with the background's "某西南城商行
# （化名“蜀川银行”）是我们的老客户" over the action items themselves.
NAMED_SECTIONS = (
    ("root_cause", re.compile(r"根因|根本原因|\broot[- ]causes?\b")),
    ("actions", re.compile(r"行动项|行动计划|改进措施|待办|\b(action items?|next steps|follow[- ]ups?)\b")),
    ("background", re.compile(r"背景|\bbackground\b")),
    ("timeline", re.compile(r"经过|时间线|\btimeline\b")),
)
# A how-question that asks what an article or its writer says, or how something turned out (怎么样 /
# 如何 closing the clause: "效果怎么样？", not "如何控制……"), is not asking for our own advice.
ARTICLE_ASKED = re.compile(r"文章|作者|\b(articles?|authors?|writers?)\b")
HOW_IT_WENT = re.compile(r"(怎么样|怎样|如何)(?:呢|啊)?(?:[？?，,。！!]|$)")
# "Do the sources agree?" is asked of several sources: the best passage of each other retrieved
# document is quoted when it scores at least this share of the best passage (below the floor).
AGREE_FLOOR = 0.5
# A list question asking for every item ("所有……都列出来", analysis.EXHAUSTIVE) may use this many times the
# answer's sentence and length caps: the round-15 trial's "all action items" got six of nine.
EXHAUSTIVE_SCALE = 2

# A postmortem section that answers the question's type (its 根因 for why, 教训/行动项 for how) is
# quoted down to this share of the best passage's score, not only down to the passage floor: with
# the curated-question rankers at weight 1 (round 12), the issue's own "试用期结束后，客户为什么没有
# 继续合作？" put the scope-creep root cause at 0.667× behind two article passages, and the answer
# led with the article's story again. Dev: 0.6 / 0.5 cost citation precision 0.790 → 0.788 / 0.784
# (q003 also cites the root cause of the project the article calls "A项目"); the probe is unchanged.
ROLE_FLOOR = 0.6
# A question with two asks ("维修问答那个项目验收时准确率做到多少？当初的目标是多少？") is quoted down to
# this share of the best passage: the second ask's passage (the target, "验收标准为……90%", in the
# background at 0.684×) rarely ranks with the first's. Dev (11 such answerable questions): 0.6 and
# 0.5 both give q307 its second key fact (key facts 0.839 → 0.844, citation recall 0.860 → 0.864)
# and change nothing else; the probe's precision on its test half 0.875 → 0.867 (one gold quote per
# question there, so a second ask's citation cannot count).
PART_FLOOR = 0.6


class ExtractiveAnswerer(Answerer):
    """A lead and distinct points, verbatim and cited, shaped by the question's type and language."""

    name = "extractive"

    def __init__(self, settings: Settings, glossary: Glossary | None = None) -> None:
        self.settings = settings
        self.glossary = glossary if glossary is not None else Glossary.load(settings.glossary_path)

    def answer(self, ctx: Context) -> Answer:
        analysis = analyse(ctx.question)
        passages = ctx.hits[: self.settings.answer_passages]
        passages += _advice_below(ctx.index, passages, analysis, self._floor(passages, analysis))
        owns = part_terms(analysis, asked_terms(content_weights(ctx.query, ctx.index), (), analysis))
        hits = _with_parts(passages, self._quotable(passages, analysis), owns)
        if not hits:
            return abstention(ctx.question, self.name, ctx.trace)
        made = self._compose(ctx, hits, analysis)
        if made.abstained and len(hits) < len(passages):
            # Nothing above the floor is quotable (a reading list, headings): the passages under it
            # are better than no answer once answerability has said the question is answerable.
            made = self._compose(ctx, passages, analysis)
        return made

    def _quotable(self, hits: list[Hit], analysis: QuestionAnalysis) -> list[Hit]:
        """The passages close enough to the best one to quote.

        A passage far behind the best one rarely holds evidence (round 3 dev: 1 gold of 32 below 0.7×):
        quoting it adds a weak point and a wrong citation. English questions reach the evidence
        across languages and keep only passages close to the best (0.85×, round 15). The section of the
        top passage's postmortem that answers the question's type is kept whatever its score; an
        agree question keeps the best passage of every other document down to AGREE_FLOOR; a
        question about lessons keeps every retrieved postmortem's lessons; any retrieved postmortem's
        section answering the question's type is kept down to ROLE_FLOOR; an English who-question
        keeps the top passage's document down to the Chinese floor (_same_case).
        """
        if not hits:
            return []
        s = self.settings
        floor = self._floor(hits, analysis)
        cases = {h.chunk.doc_id for h in (hits if _advice_wanted(analysis) else hits[:1]) if h.score >= floor}
        headings = _answering_headings(analysis)
        roles = ROLE_FLOOR * hits[0].score
        kept = [h for h in hits if h.score >= floor or _in_sections(h, cases, headings)
                or (analysis.lessons and _lessons_section(h)) or (h.score >= roles and _in_sections(h, {h.chunk.doc_id}, headings))]
        if analysis.qtype == "agree":
            kept += _other_sources(hits, kept)
        kept += _figures(hits, kept, analysis, s.answer_passage_floor * hits[0].score)
        kept += _same_case(hits, kept, analysis, s.answer_passage_floor * hits[0].score)
        if analysis.summary:
            kept = _one_source(hits)
        return sorted(kept, key=hits.index)

    def _floor(self, hits: list[Hit], analysis: QuestionAnalysis) -> float:
        s = self.settings
        share = s.answer_passage_floor_english if analysis.english else s.answer_passage_floor
        if len(asks(analysis.question)) > 1:  # each ask may need a passage of its own
            share = min(share, PART_FLOOR)
        return share * hits[0].score if hits else 0.0

    def _compose(self, ctx: Context, hits: list[Hit], analysis: QuestionAnalysis) -> Answer:
        units = evidence_units(ctx.index, hits)
        roles = role_sections(hits, analysis)
        answering = roles if _advice_wanted(analysis) else {
            rank for rank, hit in enumerate(hits) if _answering_section(hit, hits[0], analysis)}
        aside = (_backgrounds(hits, roles) | _advice_in_why(hits, roles, analysis) | _accounts_in_how(hits, roles, analysis)
                 | _unnamed_sections(hits, analysis) | _advice_in_facts(hits, analysis)) - _quoting(hits, ctx.question)
        phrases = [terms for _, _, terms in self.glossary.translations(ctx.question)] if analysis.english else []
        kind = asked_kind(ctx.question)
        named = {rank for rank, hit in enumerate(hits) if kind and hit.chunk.metadata.get("doc_type") == kind}
        scored = score_units(units, analysis, ctx.query, ctx.index, answering, roles, aside, phrases, named)
        said = previous_answer(ctx.history)
        for s in scored:  # a follow-up's lead should not be what the previous answer said (select.LEAD_SAID)
            s.said = bool(said) and _core(s.unit.text) in said
        scale = EXHAUSTIVE_SCALE if analysis.exhaustive else 1
        chosen = select(scored, analysis, scale * self.settings.answer_sentences, self.settings.mmr_lambda)
        ctx.trace["analysis"] = {"type": analysis.qtype, "language": analysis.language, "script": analysis.script}
        ctx.trace["selected"] = [s.to_trace() for s in chosen]
        if not chosen:
            return abstention(ctx.question, self.name, ctx.trace)
        condensed = ctx.trace.get("condensed", {}).get("question")
        made = compose(analysis, chosen, hits, scale * self.settings.answer_max_chars, self.glossary, condensed,
                       document_share(ctx.index) if analysis.english else None)
        quoted = [s.text for s in made.sentences if s.citations]
        folded = dict(zip(ctx.index.documents, ctx.index.folded_documents, strict=True))  # cached per build
        sources = [folded[d] for d in {c.hit.chunk.doc_id for c in made.citations}]
        figures = figure_frame(analysis, quoted, sources, [normalize(t) for terms in phrases for t in terms])
        for note in (unstated_frame(analysis, quoted), figures, premise_frame(analysis, ctx.index)):
            if note is not None:
                made.sentences.insert(0, note)
        text = "".join(render_pieces(made.sentences))
        _label_sections(made.citations, made.sentences, ctx.index)
        return Answer(text, made.citations, made.sentences, abstained=False, answerer=self.name, trace=ctx.trace)


def _label_sections(citations: list[Citation], sentences: list[AnswerSentence], index: LoadedIndex) -> None:
    """Each citation's section path is that of the first span quoted from it, not of its chunk: a
    chunk may run under headings chunking does not split at (units.span_section_path)."""
    for citation in citations:
        quoted = next((s for s in sentences if citation.n in s.citations and s.start is not None), None)
        if quoted is not None and quoted.start is not None:
            citation.section_path = span_section_path(index, citation.hit.chunk, quoted.start)


def previous_answer(history: list[dict[str, str]]) -> str:
    """The conversation's last answer, folded and without white space ("" when there is none)."""
    reply = next((t.get("content", "") for t in reversed(history) if t.get("role") == "assistant"), "")
    return fold_compact(reply)


def _core(text: str) -> str:
    """A unit's words as an answer quotes them: folded, no white space, no closing punctuation (an
    answer may close a clause with "。" where the source has "，")."""
    return fold_compact(text).rstrip("。.，,；;！!…")


def _answering_section(hit: Hit, top: Hit, analysis: QuestionAnalysis) -> bool:
    """hit is the section of the top passage's postmortem that answers this question: its root
    cause for why, its lessons and action items for how, its lessons for what was learned."""
    return _in_sections(hit, {top.chunk.doc_id}, _answering_headings(analysis))


def _answering_headings(analysis: QuestionAnalysis) -> set[str]:
    """The postmortem sections that answer this question's type, what it asks about and names."""
    asked = set().union(*(ANSWERING_SECTIONS.get(t, set()) for t in (analysis.qtype, *analysis.also)))
    # A yes-no question about how things stand now is answered by a postmortem's account, where its
    # latest state is told ("蜀川银行那份正式合同到现在签下来了吗？": the account, at 0.70× of the
    # background that names the bank, was under the floor; round 21). Not a when- or who-question's
    # "最后": "……复盘最后定了哪些行动项？" then quoted the account beside the action items.
    ended = {HEADING["timeline"]} if analysis.latest and analysis.qtype == "yesno" else set()
    return asked | ended | (LESSONS if analysis.lessons else set()) | named_sections(analysis.question)


def _in_sections(hit: Hit, docs: set[str], headings: set[str]) -> bool:
    """hit is one of these sections of a postmortem among docs."""
    c = hit.chunk
    return c.doc_id in docs and c.metadata.get("doc_type") == "postmortem" and c.section in headings


def _advice_wanted(analysis: QuestionAnalysis) -> bool:
    """Does the question ask what to do, so that our postmortems' lessons and action items answer it?
    Not when it asks what an article says ("……文章建议把精力放在哪里？": the writer's advice, not
    ours) nor how something turned out ("……效果怎么样？")."""
    folded = normalize(analysis.question)
    return analysis.wants("how") and not ARTICLE_ASKED.search(folded) and not HOW_IT_WENT.search(folded)


def _with_parts(passages: list[Hit], kept: list[Hit], owns: list[list[str]]) -> list[Hit]:
    """The kept passages, plus for each ask of a question of several (select.part_terms) that no kept
    passage names, the best retrieved passage that does: "……收入目标定的是多少，前后下调了几次？A、B、C
    三个项目最后各自是什么结果？" quoted the targets and never the three projects, whose passage sat at
    0.58× the best, under PART_FLOOR."""
    if not kept:
        return kept
    kept = list(kept)

    def names(hit: Hit, own: list[str]) -> bool:
        return term_share(normalize(hit.chunk.text), own) >= PART_SHARE
    for own in owns:
        if not any(names(h, own) for h in kept):
            kept += [h for h in passages if h not in kept and names(h, own)][:1]
    return sorted(kept, key=passages.index)


def _advice_below(index: LoadedIndex, passages: list[Hit], analysis: QuestionAnalysis, floor: float) -> list[Hit]:
    """For a how-question, the lessons and action items of every postmortem quoted above the floor,
    retrieved or not, after the passages (scored as the last of them). Round-10 trial: "如何控制大模型
    项目的需求范围蔓延？" ranked the scope-creep postmortem's root cause third, its action items
    fifth at 0.699× (under the 0.7 floor) and its lessons seventh, so the answer was an article's
    commentary ("设想一下……", "皇帝的新衣"); the lessons are what the team learned to do."""
    if not _advice_wanted(analysis) or not passages:
        return []
    cases = {h.chunk.doc_id for h in passages if h.score >= floor}
    headings = _answering_headings(analysis)
    have = {h.chunk.chunk_id for h in passages}
    added = (Hit(c, passages[-1].score) for c in index.chunks if c.doc_id in cases and c.chunk_id not in have)
    return [hit for hit in added if _in_sections(hit, cases, headings)]


def named_sections(question: str) -> set[str]:
    """The postmortem sections a question names (NAMED_SECTIONS), as their headings."""
    folded = normalize(question)
    return {HEADING[key] for key, pattern in NAMED_SECTIONS if pattern.search(folded)}


def _lessons_section(hit: Hit) -> bool:
    """hit is the lessons section of a postmortem, any one: a question about what was learned
    ("三个复盘项目有哪些共同的教训？") is answered by every retrieved postmortem's lessons, not only
    by those of the top passage's (the others ranked at 0.5× under an article's project list)."""
    c = hit.chunk
    return c.metadata.get("doc_type") == "postmortem" and c.section in LESSONS


def _other_sources(hits: list[Hit], kept: list[Hit]) -> list[Hit]:
    """The best passage of each document that `kept` lacks, above AGREE_FLOOR × the best score:
    "关于垂直大模型的前景，各篇文章的看法一致吗？" quoted one article (its four passages above the
    floor) although a second one, ranked fifth at 0.58×, speaks of vertical applications."""
    sources = {h.chunk.doc_id for h in kept}
    extra = []
    for h in hits:
        if h.chunk.doc_id not in sources and h.score >= AGREE_FLOOR * hits[0].score:
            sources.add(h.chunk.doc_id)
            extra.append(h)
    return extra


def _figures(hits: list[Hit], kept: list[Hit], analysis: QuestionAnalysis, floor: float) -> list[Hit]:
    """A number question that names its unit ("How many weeks late …?") and whose kept passages
    hold no figure in that unit: the passages down to `floor` (the Chinese floor) that do. "How
    many weeks late was the retail replenishment project?" kept only the postmortem's background
    (420 stores, 350k yuan) above the English floor; the "晚 12 周" of its account ranked third."""
    if not analysis.measure:
        return []
    pattern = figure(analysis.measure)
    if any(pattern.search(normalize(h.chunk.text)) for h in kept):
        return []
    return [h for h in hits if h not in kept and h.score >= floor and pattern.search(normalize(h.chunk.text))]


def _same_case(hits: list[Hit], kept: list[Hit], analysis: QuestionAnalysis, floor: float) -> list[Hit]:
    """An English who-question: the passages of the top passage's document down to `floor` (the
    Chinese floor). "Which company won the … deal instead of us?" kept the postmortem's background
    and action items above the English floor; its account, which names the competitor, ranked at
    0.81× the best."""
    if not analysis.english or analysis.qtype != "who":
        return []
    top = hits[0].chunk.doc_id
    return [h for h in hits if h not in kept and h.chunk.doc_id == top and h.score >= floor]


def _one_source(hits: list[Hit]) -> list[Hit]:
    """A request for what one source says ("复盘里那个零售项目讲了什么？", "summary of the … postmortem",
    QuestionAnalysis.summary): every retrieved passage of the top passage's document, whatever its
    score, and no other document's. Round 8: the retail postmortem's summary quoted another article's
    "李浩告诉光子星球……" as a point, and the English one only the lessons (the rest under the 0.9 floor)."""
    top = hits[0].chunk.doc_id
    return [h for h in hits if h.chunk.doc_id == top]


def _backgrounds(hits: list[Hit], roles: set[int]) -> set[int]:
    """Ranks of the background sections of the postmortems whose answering section is quoted:
    a postmortem's 背景 says who the customer was and what was signed, not why it went wrong nor
    what to do. "Why did the retail replenishment POC ship late?" ranked the background first
    and quoted its store count and contract value beside the root causes."""
    answered = {hits[rank].chunk.doc_id for rank in roles}
    return {rank for rank, hit in enumerate(hits)
            if hit.chunk.doc_id in answered and hit.chunk.section == HEADING["background"]}


# Words the asker puts in quotation marks (“放进二期”, 「先干后签」): at least two characters.
ASKER_QUOTES = re.compile(r"[“「『\"]([^”」』\"]{2,})[”」』\"]")


def _quoting(hits: list[Hit], question: str) -> set[int]:
    """The passages holding words the question quotes: the asker points at them, and they are never
    set aside for their section's role. "……复盘为啥说应该改口“放进二期”？" asks why a lesson says so,
    and the lesson (set aside as advice in a why-answer) went unquoted (round 21, the why probe)."""
    quoted = [fold_compact(q) for q in ASKER_QUOTES.findall(question)]
    return {rank for rank, hit in enumerate(hits) if any(q and q in fold_compact(hit.chunk.text) for q in quoted)}


def _advice_in_why(hits: list[Hit], roles: set[int], analysis: QuestionAnalysis) -> set[int]:
    """A why-question (not about lessons) with a root cause quoted: the lessons and action items
    of the postmortems say what to do, not why; they are set aside."""
    if analysis.qtype != "why" or analysis.lessons or analysis.wants("how") or not roles:
        return set()
    advice = ANSWERING_SECTIONS["how"]
    return {rank for rank, hit in enumerate(hits)
            if hit.chunk.metadata.get("doc_type") == "postmortem" and hit.chunk.section in advice}


def _advice_in_facts(hits: list[Hit], analysis: QuestionAnalysis) -> set[int]:
    """A question asking what happened, when, how long, how many or who (not about lessons), with a
    postmortem's account (背景 / 经过) retrieved: its lessons and action items say what to do next
    time, and their figures ("先做 1–2 周现场调研") are no answer (round-13 trial: "零售POC是给哪个客户
    做的，持续了多长时间？" led with that lesson)."""
    if analysis.qtype not in ("when", "number", "who") or analysis.lessons:
        return set()
    advice = ANSWERING_SECTIONS["how"]
    told = {h.chunk.doc_id for h in hits
            if h.chunk.metadata.get("doc_type") == "postmortem" and h.chunk.section not in advice}
    return {rank for rank, hit in enumerate(hits)
            if hit.chunk.doc_id in told and hit.chunk.section in advice}


def _unnamed_sections(hits: list[Hit], analysis: QuestionAnalysis) -> set[int]:
    """A question that names postmortem sections ("……复盘中的行动项有哪些？"), with such a section
    quoted: the other sections of that postmortem are set aside. Round-10 trial: the bank
    postmortem's action items came with its timeline ("7 月初一期上线……") and lessons as points."""
    named = named_sections(analysis.question) | (LESSONS if analysis.lessons else set())
    if not named:
        return set()
    # what the question's asks need stays: "……根本原因是什么？下次该怎么控制范围？" names 根因 and asks how
    # (round 19: its lessons were set aside as unnamed, and an article's commentary answered the how)
    kept = named | _answering_headings(analysis)
    quoted = {h.chunk.doc_id for h in hits if h.chunk.section in named and h.chunk.metadata.get("doc_type") == "postmortem"}
    return {rank for rank, hit in enumerate(hits) if hit.chunk.doc_id in quoted and hit.chunk.section not in kept}


def _accounts_in_how(hits: list[Hit], roles: set[int], analysis: QuestionAnalysis) -> set[int]:
    """A how-question with a postmortem's lessons or action items quoted: the 经过 (timeline) of those
    postmortems tells what happened week by week, and the 根因 why it went wrong, not what to do;
    they are set aside like the 背景 (round 10: the trial's "如何控制大模型项目的需求范围？" quoted two
    root causes as points; dev citation precision 0.760 → 0.766, nothing lost).
    Round 8: "……客户好几个部门都在提新需求。我现在该怎么办？" led with a lesson, then quoted "第 4 周
    生产部提出……", "第 13 周客户通知与天穹云签约" as points to act on."""
    if analysis.qtype != "how" or not roles:
        return set()
    answered = {hits[rank].chunk.doc_id for rank in roles}
    # ... unless the question asks why as well (the root cause answers it) or what happened (the
    # timeline does: "当时条款具体是怎么写的？以后该怎么谈？", round 19)
    aside = {HEADING["timeline"], HEADING["root_cause"]}
    if analysis.wants("why"):
        aside.discard(HEADING["root_cause"])
    if analysis.told:
        aside.discard(HEADING["timeline"])
    return {rank for rank, hit in enumerate(hits) if hit.chunk.doc_id in answered and hit.chunk.section in aside}


def role_sections(hits: list[Hit], analysis: QuestionAnalysis) -> set[int]:
    """Ranks of the quoted passages that are a postmortem's section answering this question, of
    any postmortem (not only the top passage's): their units may lead (select.LEAD_ROLE). "试用期
    结束后，客户为什么没有继续合作？" ranks an article's account of the customer leaving first; the
    lead is now a retrieved postmortem's root cause, the account a point."""
    return {rank for rank, hit in enumerate(hits) if _answering_section(hit, hit, analysis)}


def document_share(index: LoadedIndex) -> Callable[[str], float]:
    """The share of the corpus's documents whose text holds a folded term (text.normalize:
    simplified, lower case): an English answer glosses the rarer of the terms its quotes use
    (compose._glosses)."""
    texts = index.folded_documents

    def share(folded: str) -> float:
        return sum(folded in text for text in texts) / max(len(texts), 1)

    return share


def abstention(question: str, answerer: str, trace: dict) -> Answer:
    """The answer that says the sources do not cover the question."""
    return Answer(abstain_message(question), [], [], abstained=True, answerer=answerer, trace=trace)
