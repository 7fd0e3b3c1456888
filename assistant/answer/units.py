"""Evidence units: the whole sentences, clauses and list items an answer may quote.

Each unit is a span [start, end) of its document. Display text is cleaned of markdown (list
and checkbox marks, headings, emphasis, links) and of action-item tails ("—— owner —— date");
the span is narrowed to what is shown, so citation highlighting lands on the quoted words.
A sentence longer than LONG_UNIT characters is cut after commas into clauses of at least
MIN_CLAUSE characters, so a quote can be one self-contained clause instead of a wall of text;
sentences that the splitter cut at "；" within one line are rejoined (up to LONG_UNIT), so a
list item's halves ("没有识别真正的决策人；竞品给出更多承诺时……") stay together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.types import Chunk, Hit, section_parts
from assistant.store.build_store import LoadedIndex
from assistant.text import heading_path_at, inline_plain, lead_marks_end

HEADING_MARK = re.compile(r"^\s*#{1,6}\s")
CHECKBOX = re.compile(r"^\s*[-*+]\s+\[[ xX]\]")
LIST_MARK = re.compile(r"^\s*(?:[-*+•·]\s|\d{1,2}[.)）、]|[（(]\d{1,2}[）)]|[a-h][.、)]\s)")
ACTION_TAIL = re.compile(r"\s*——\s*([^—\n]{1,30}?)\s*——\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\s*$")
TRAILING = re.compile(r"[\s*_]+$")
LONG_UNIT = 160
MIN_CLAUSE = 30
# A clause that opens with a subordinating conjunction leans on the clause after it: cut before it
# (for a piece of at least MIN_LEADING characters), never after it. "短期内难以突破B端领域知识的
# 壁垒和障碍，即使从外部挖人挖团队，试图……" was quoted as "…壁垒和障碍，即使从外部挖人挖团队。".
SUBORDINATE = re.compile(r"\s*(?:即使|即便|虽然|虽说|尽管|哪怕|如果|假如|假设|只要|除非|无论|不管|一旦)")
MIN_LEADING = 12
# An enumeration ("比如企业自己的开发部门，外部的ISV开发商，以及传统B端产品厂商，他们需要……") is not cut
# between its items: a piece opening "外部的ISV开发商，以及……" has lost what it lists (round-15 trial).
LIST_OPENER = re.compile(r"比如|例如|譬如|诸如|包括|像是")
LIST_LAST = re.compile(r"\s*(?:以及|及|还有|和|与|或者|或)")
LIST_SPAN = 40  # how far past a comma the list's connector may be
CLAUSE_BREAKS = "，,"
OPENERS = "（(“「『《"
CLOSERS = "）)”」』》"


@dataclass(frozen=True)
class EvidenceUnit:
    """A quotable span of a retrieved passage and how it looked in the source."""

    sentence_id: int  # first row of index.sentences / sentence_vectors it belongs to
    hit_rank: int  # 0-based rank of the hit that retrieved it
    doc_id: str
    start: int
    end: int
    text: str  # cleaned display text
    section: str
    heading: bool = False
    list_item: bool = False
    checkbox: bool = False
    sentence_ids: tuple[int, ...] = ()  # every stored sentence the unit spans (default: sentence_id)
    title: str = ""  # its document's title
    owner: str = ""  # an action item's owner and due date (ISO), cut from its text ("售前负责人", "2025-03-15")
    due: str = ""
    under: str = ""  # the heading it sits under, the last of its section path as a label reads it ("4、感悟")

    @property
    def sentences(self) -> tuple[int, ...]:
        return self.sentence_ids or (self.sentence_id,)


def clean_span(document: str, start: int, end: int) -> tuple[int, int, str]:
    """Narrow [start, end) past markdown marks and action-item tails; the cleaned display text."""
    start = lead_marks_end(document, start, end)
    tail = ACTION_TAIL.search(document, start, end)
    if tail:
        end = tail.start()
    trailing = TRAILING.search(document, start, end)
    if trailing and trailing.start() > start:
        end = trailing.start()
    text = inline_plain(document[start:end])
    return start, end, " ".join(text.split())


def clauses(document: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a long span after commas outside brackets and quotes, into pieces ≥ MIN_CLAUSE chars;
    a comma before a subordinating conjunction (即使/虽然/如果…) is a cut for pieces down to
    MIN_LEADING chars, so the subordinate clause opens the next piece with its main clause."""
    if end - start <= LONG_UNIT:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    piece_start, depth, listing = start, 0, -1
    for i in range(start, end):
        ch = document[i]
        depth += (ch in OPENERS) - (ch in CLOSERS and depth > 0)
        if LIST_OPENER.match(document, i, end):
            listing = i
        if ch not in CLAUSE_BREAKS or depth:
            continue
        if listing >= 0 and _list_goes_on(document, listing, i, end):
            continue
        listing = -1
        shortest = MIN_LEADING if SUBORDINATE.match(document, i + 1, end) else MIN_CLAUSE
        if i + 1 - piece_start >= shortest and end - i - 1 >= MIN_CLAUSE:
            pieces.append((piece_start, i + 1))
            piece_start = i + 1
    pieces.append((piece_start, end))
    return pieces


def _list_goes_on(document: str, opened: int, comma: int, end: int) -> bool:
    """Whether the comma at `comma` falls between the items of the enumeration opened at `opened`
    ("比如 A，B，以及 C"): a clause within LIST_SPAN after it opens with a connector (以及/和/还有…),
    and the clause before it is not already the last item nor closed by 等."""
    item = max(document.rfind(c, opened, comma) for c in CLAUSE_BREAKS) + 1 or opened
    if LIST_LAST.match(document, item, comma) or "等" in document[opened:comma]:
        return False
    stop = min(end, comma + 1 + LIST_SPAN)
    starts = [comma + 1, *(j + 1 for j in range(comma + 1, stop) if document[j] in CLAUSE_BREAKS)]
    return any(LIST_LAST.match(document, j, stop) for j in starts)


def evidence_units(index: LoadedIndex, hits: list[Hit]) -> list[EvidenceUnit]:
    """The units of the hits' sentences, each once (credited to the best-ranked hit)."""
    seen: set[int] = set()
    units: list[EvidenceUnit] = []
    for rank, hit in enumerate(hits):
        fresh = [sid for sid in hit.chunk.sentence_ids if sid not in seen]
        seen.update(fresh)
        for group in _semicolon_groups(index, fresh):
            units.extend(_group_units(index, group, rank, hit.chunk.section, hit.chunk.title))
    return units


def _semicolon_groups(index: LoadedIndex, sids: list[int]) -> list[list[int]]:
    """Sentences split at "；" within one line rejoin (up to LONG_UNIT): one clause rarely stands alone."""
    groups: list[list[int]] = []
    for sid in sids:
        if groups and _continues(index, groups[-1], sid):
            groups[-1].append(sid)
        else:
            groups.append([sid])
    return groups


def _continues(index: LoadedIndex, group: list[int], sid: int) -> bool:
    first, last, nxt = index.sentences[group[0]], index.sentences[group[-1]], index.sentences[sid]
    if nxt.doc_id != last.doc_id or nxt.end - first.start > LONG_UNIT:
        return False
    document = index.documents[last.doc_id].text
    return document[last.start : last.end].rstrip().endswith(("；", ";")) and "\n" not in document[last.end : nxt.start]


def _group_units(index: LoadedIndex, group: list[int], rank: int, section: str, title: str = "") -> list[EvidenceUnit]:
    sentence, last = index.sentences[group[0]], index.sentences[group[-1]]
    document = index.documents[sentence.doc_id].text
    line_start = document.rfind("\n", 0, sentence.start) + 1
    prefix = document[line_start : sentence.end]
    flags = {
        "heading": bool(HEADING_MARK.match(prefix)),
        # Only the line's first sentence carries its list mark.
        "list_item": line_start == sentence.start and bool(LIST_MARK.match(prefix)),
        "checkbox": bool(CHECKBOX.match(prefix)),
    }
    start, end, _ = clean_span(document, sentence.start, last.end)
    path = section_parts(heading_path_at(document, sentence.start), title)
    tail = ACTION_TAIL.search(document, sentence.start, last.end)
    owner, due = (tail.group(1).strip(), iso_day(tail.group(2))) if tail else ("", "")
    units = []
    for s, e in clauses(document, start, end):
        s, e, text = clean_span(document, s, e)
        if text:
            units.append(EvidenceUnit(group[0], rank, sentence.doc_id, s, e, text, section,
                                      sentence_ids=tuple(group), title=title, owner=owner if e == end else "",
                                      due=due if e == end else "", under=path[-1] if path else "", **flags))
    return units


def iso_day(day: str) -> str:
    """A written date ("2025-3-5", "2025/03/05") as ISO (2025-03-05): shown, and compared with a bound."""
    year, month, dom = re.split(r"[-/.]", day)
    return f"{int(year):04d}-{int(month):02d}-{int(dom):02d}"


def span_section_path(index: LoadedIndex, chunk: Chunk, offset: int) -> list[str]:
    """The heading path a reader should see for the span of chunk's document at offset: read with
    every heading a label may name (text.heading_path_at), finer than the chunk's own."""
    return section_parts(heading_path_at(index.documents[chunk.doc_id].text, offset), chunk.title)
