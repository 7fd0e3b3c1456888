"""What the curated questions (corpus/questions/, doc2query) tell about a span of a document: how
close the user's question is to a curated question whose quote the span holds.

Curated questions are written in users' words, as a question in other words than the sources'
often is; a span they quote is where the sources answer it. Read by the choice of quotes
(select.score_units) and of a related passage's snippet (related.closest_sentence).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.store.build_store import LoadedIndex
from assistant.text import fold_compact

# How much of a quote places it in a span: a quote may run past the end of a sentence or a unit.
QUOTE_PREFIX = 12


def asked_closeness(texts: Sequence[str], candidates: Sequence[Sequence[int]], vector: np.ndarray,
                    index: LoadedIndex) -> np.ndarray:
    """For each text, the best cosine of the question (vector) to a curated question whose quote the
    text holds, among the question rows candidates[i] (those of its chunk or its document); -1
    where it holds none."""
    best = np.full(len(texts), -1.0)
    if index.question_vectors is None or not any(candidates):
        return best
    cosines = np.asarray(index.question_vectors) @ vector
    keys = index.folded_quotes
    for i, (text, rows) in enumerate(zip(texts, candidates, strict=True)):
        folded = fold_compact(text)
        held = [cosines[row] for row in rows if keys[row][:QUOTE_PREFIX] and keys[row][:QUOTE_PREFIX] in folded]
        if held:
            best[i] = float(max(held))
    return best
