"""Deterministic fakes registered at Hindsight's own seams (never the network)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from assistant.embed.embedder import Embedder, Kind, normalize_rows
from assistant.text import bigram_tokens, normalize


class HashEmbedder(Embedder):
    """Bag of hashed character bigrams: fast, deterministic, similar texts get similar vectors."""

    name = "fake:hash-bigrams"
    dim = 64

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.texts_embedded = 0

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in bigram_tokens(normalize(text)) or ["<empty>"]:
                bucket = int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dim
                out[row, bucket] += 1.0
        return normalize_rows(out + 1e-6)
