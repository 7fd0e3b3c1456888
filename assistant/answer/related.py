"""An abstention's closest sources: the passages a refused question came nearest, offered as
"possibly related", each with its sentence closest to the question.

A refusal is sometimes wrong: a question in words the sources do not use ("甲方", "白菜价") looks
like one they cannot answer (round 14: 18 of 39 dev paraphrase-probe questions were refused). For
a question on the sources' subject (answerability.Decision.on_topic) the user still gets where to
look; nothing in the answer claims that these passages answer it, and no sentence cites them.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from assistant.answer.base import in_question_script
from assistant.answer.curated import asked_closeness
from assistant.answer.units import span_section_path
from assistant.core.types import Citation, Hit
from assistant.index.indexes import Query
from assistant.store.build_store import LoadedIndex
from assistant.text import chinese_question, clip, plain_passage

SNIPPET_CHARS = 120  # a whole sentence, usually: the snippet is the hint of what the passage says
# What every surface shows above them (English, Chinese): they are no citations.
RELATED_HEADINGS = ("Possibly related (these may not answer it):", "可能相关的资料（未必回答了这个问题）：")
# ... and above the other sources an answer to a question asked across the sources lists (other_sources).
OTHER_HEADINGS = ("Other sources on this, not quoted above (they may not answer it):",
                  "其他谈到这个话题的资料（上文未引用，未必回答了这个问题）：")


def related_headings(answered: bool) -> tuple[str, str]:
    """(English, Chinese) headings over an abstention's related passages, or over an answer's other
    sources (`answered`), which say they are not quoted."""
    return OTHER_HEADINGS if answered else RELATED_HEADINGS


def related_heading(question: str, answered: bool = False) -> str:
    """The heading in the question's language and script, as the abstention reason above it."""
    english, chinese = related_headings(answered)
    return in_question_script(chinese, question) if chinese_question(question) else english


def related_sources(query: Query, hits: list[Hit], index: LoadedIndex, limit: int, first: int = 1) -> list[Citation]:
    """Up to `limit` hits, best first, as sources numbered from `first`, each with its sentence
    closest to the question; a passage whose every sentence an earlier one already shows is skipped
    (overlapping chunks of one document share sentences: two entries showed the same one)."""
    sources: list[Citation] = []
    for hit in hits:
        if len(sources) == limit:
            break
        found = closest_sentence(query, hit, index, [c.snippet for c in sources])
        if found is not None:
            snippet, start = found
            sources.append(Citation(first + len(sources), hit, span_section_path(index, hit.chunk, start), snippet))
    return sources


def other_sources(query: Query, hits: list[Hit], cited: Collection[str], index: LoadedIndex, limit: int,
                  first: int) -> list[Citation]:
    """The best passage of each document among `hits` that the answer does not cite (`cited`: its
    documents), as related sources numbered from `first`. A question asked across the sources
    ("几篇文章怎么看……", "What do the sources say about …?") whose answer quotes one of them still shows
    the others that came up, as possibly related: the round-16 blind trial's main complaint was such
    answers quoting one source, and quoting the others' best sentences as points cost dev citation
    precision (docs/answers.md, round 16)."""
    seen = set(cited)
    best: list[Hit] = []
    for hit in hits:
        if hit.chunk.doc_id not in seen:
            seen.add(hit.chunk.doc_id)
            best.append(hit)
    return related_sources(query, best, index, limit, first)


def closest_sentence(
    query: Query, hit: Hit, index: LoadedIndex, shown: Collection[str] = (),
) -> tuple[str, int] | None:
    """The passage's sentence closest to the question, as a reader sees it (no markdown), clipped,
    other than those already `shown`, and where it starts in its document; the passage's opening
    when it has no sentence vectors or the query none; None when every candidate is shown.

    A sentence is as close as the nearer of itself and the curated questions it answers (their
    quote lies in it): those are in users' words, as a refused question often is. Round 14, the top
    three passages' snippets holding a gold span, dev halves: eval 74 → 87 of 114, paraphrase probe
    16 → 23 of 39, multi-document probe 23 → 22 of 33 (cosine alone → this).
    """
    ids = list(hit.chunk.sentence_ids)
    if query.vector is None or not ids:
        opening = clip(plain_passage(hit.chunk.text), SNIPPET_CHARS)
        return None if opening in shown else (opening, hit.chunk.start)
    texts = [_sentence_text(index, sid) for sid in ids]
    rows = index.questions_of_chunk.get(hit.chunk.chunk_id, [])
    scores = np.maximum(np.asarray(index.sentence_vectors[ids]) @ query.vector,
                        asked_closeness(texts, [rows] * len(texts), query.vector, index))
    ranked = ((clip(plain_passage(texts[i]), SNIPPET_CHARS), index.sentences[ids[i]].start)
              for i in np.argsort(-scores, kind="stable"))
    return next((found for found in ranked if found[0] not in shown), None)


def _sentence_text(index: LoadedIndex, sentence_id: int) -> str:
    sentence = index.sentences[sentence_id]
    return index.documents[sentence.doc_id].text[sentence.start : sentence.end]
