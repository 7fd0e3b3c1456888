"""What the filters can take: every filter field's values in the loaded index, with document counts.

The filters panel lists them, and the CLI refuses a value no document has (a typo would
otherwise filter nothing out silently or match nothing at all).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from assistant.core.settings import Settings
from assistant.retrieve.retriever import FILTER_FIELDS, Filters, reads_proximity
from assistant.store.build_store import LoadedIndex

FIELDS = (*FILTER_FIELDS, "tags")


def facets(index: LoadedIndex) -> dict[str, Counter[str]]:
    """For each filter field, how many documents carry each value (most common first when listed)."""
    found: dict[str, Counter[str]] = {name: Counter() for name in FIELDS}
    for doc in index.documents.values():
        for name in FIELDS:
            for value in _values(doc.doc_id, doc.metadata, name):
                found[name][value] += 1
    return found


def _values(doc_id: str, meta: dict[str, Any], name: str) -> list[str]:
    if name == "doc_id":
        return [doc_id]
    value = meta.get(name)
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def unknown_filter_values(filters: Filters, known: dict[str, Counter[str]]) -> list[str]:
    """One message per filter value that no document has, naming the values that exist."""
    problems = []
    wanted = {**filters.values, "tags": filters.tags}
    for name, values in wanted.items():
        for value in sorted(values - set(known.get(name, {}))):
            valid = ", ".join(v for v, _ in known[name].most_common(30)) or "(none in this index)"
            problems.append(f"no document has {name}={value!r}; valid {name} values: {valid}")
    return problems


def relevance(score: float, settings: Settings, mode: str | None = None, question: str = "") -> int:
    """A fused score as 0–100: 100 means the best candidate of every ranker the mode uses
    for this question (term proximity reads only questions with Chinese in them).

    Linear fusion sums each ranker's min-max scaled score times its weight (assistant/retrieve).
    """
    mode = mode or settings.retrieval_mode
    dense = settings.dense_weight + settings.sentence_weight
    lexical = settings.bigram_weight + settings.words_weight
    if reads_proximity(question):
        lexical += settings.proximity_weight
    best = (dense if mode != "bm25" else 0.0) + (lexical if mode != "dense" else 0.0)
    if best <= 0:
        return 0
    return max(0, min(100, round(100 * score / best)))
