"""Does a passage support a sentence? One measure, shared by the answerers and the evaluation.

Two signals, either is enough:
- lexical containment: the share of the sentence's character bigrams (after traditional→
  simplified and width folding, punctuation dropped) found in the passage. A verbatim quote
  scores 1.0; a faithful Chinese paraphrase usually keeps most bigrams.
- semantic similarity: the best cosine between the sentence vector and the passage's sentence
  vectors. It accepts close restatements that reword too much for the lexical test.
Thresholds were calibrated on the corpus (`python -m eval.calibrate`, eval/README.md): with
multilingual-e5-small a Chinese sentence scores 0.87-0.93 against passages of *unrelated*
documents, so the semantic threshold sits above that (0.95). English translations of corpus
sentences score only 0.75-0.84 against their source, no better than against unrelated passages,
so cross-lingual support cannot be judged by cosine and such sentences are reported unsupported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.text import char_ngrams, normalize

LEXICAL_THRESHOLD = 0.6
SEMANTIC_THRESHOLD = 0.95


@dataclass(frozen=True)
class Support:
    """The verdict for one sentence against its cited passages."""

    lexical: float
    semantic: float | None

    @property
    def score(self) -> float:
        return max(self.lexical, self.semantic or 0.0)

    @property
    def supported(self) -> bool:
        return self.lexical >= LEXICAL_THRESHOLD or (
            self.semantic is not None and self.semantic >= SEMANTIC_THRESHOLD
        )


def lexical_containment(sentence: str, passage: str) -> float:
    """Share of the sentence's bigrams that occur in the passage (0 when the sentence has none)."""
    grams = char_ngrams(normalize(sentence), 2)
    if not grams:
        return 0.0
    return len(grams & char_ngrams(normalize(passage), 2)) / len(grams)


def support(
    sentence: str,
    passages: list[str],
    sentence_vector: np.ndarray | None = None,
    passage_vectors: list[np.ndarray] | None = None,
) -> Support:
    """Best support any cited passage gives the sentence; vectors enable the semantic signal."""
    if not passages:
        return Support(0.0, None)
    lexical = max(lexical_containment(sentence, p) for p in passages)
    semantic = None
    if sentence_vector is not None and passage_vectors:
        stacked = np.vstack([np.atleast_2d(v) for v in passage_vectors])
        semantic = float(np.max(stacked @ sentence_vector))
    return Support(lexical, semantic)
