"""Which client for pgvector: plain SQL through psycopg vs llama-index's PGVectorStore.

Same server, same vectors, same HNSW (m=16, ef_construction=64, ef_search=100, inner product):
time to load n vectors + build the index, and single-query latency for top-10.
llama-index-vector-stores-postgres needs SQLAlchemy < 2.1 (the project runs 2.1), so it is
measured from a side directory, never installed into the project:

    pip install --target /tmp/hs_lip --no-deps llama-index-vector-stores-postgres==0.9.0 \\
        asyncpg psycopg2-binary sqlalchemy==2.0.58
    python -m bench.pgvector_client --side-path /tmp/hs_lip
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from assistant.index.indexes import Query
from assistant.index.pgvector import PgVectorStore
from bench.common import postgres, summary, table

M, EF_CONSTRUCTION, EF_SEARCH = 16, 64, 100


def unit_vectors(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def plain_sql(url: str, vectors: np.ndarray, queries: np.ndarray) -> dict[str, Any]:

    store = PgVectorStore(url, M, EF_CONSTRUCTION, EF_SEARCH)
    started = time.perf_counter()
    store.push("client-bench", vectors, [""] * len(vectors), [{}] * len(vectors))
    load_s = time.perf_counter() - started
    index = store.open("client-bench")
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        index.search(Query("", [], q), 10)
        lat.append((time.perf_counter() - t0) * 1000)
    store.drop("client-bench")
    store.close()
    return {"client": "plain SQL (psycopg, assistant/index/pgvector.py)", "load_s": load_s, "lat": summary(lat)}


def llama_index(url: str, vectors: np.ndarray, queries: np.ndarray) -> dict[str, Any]:
    from llama_index.core.schema import (
        TextNode,  # lazy: llama-index's PGVectorStore is measured, not a dependency (optional)
    )
    from llama_index.core.vector_stores.types import (
        VectorStoreQuery,  # lazy: llama-index's PGVectorStore is measured, not a dependency (optional)
    )
    from llama_index.vector_stores.postgres import (
        PGVectorStore,  # lazy: llama-index's PGVectorStore is measured, not a dependency (optional)
    )

    sync_url = url.replace("+psycopg", "+psycopg2")
    store = PGVectorStore.from_params(
        connection_string=sync_url, async_connection_string=url.replace("+psycopg", "+asyncpg"),
        table_name="client_bench", embed_dim=vectors.shape[1],
        hnsw_kwargs={"hnsw_m": M, "hnsw_ef_construction": EF_CONSTRUCTION, "hnsw_ef_search": EF_SEARCH,
                     "hnsw_dist_method": "vector_ip_ops"},
    )
    nodes = [TextNode(id_=f"b:{i}", text="", embedding=v.tolist()) for i, v in enumerate(vectors)]
    started = time.perf_counter()
    for i in range(0, len(nodes), 1000):
        store.add(nodes[i : i + 1000])
    load_s = time.perf_counter() - started
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        store.query(VectorStoreQuery(query_embedding=q.tolist(), similarity_top_k=10))
        lat.append((time.perf_counter() - t0) * 1000)
    return {"client": "llama-index PGVectorStore 0.9.0", "load_s": load_s, "lat": summary(lat)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--side-path", help="directory holding llama-index-vector-stores-postgres")
    args = parser.parse_args(argv)
    vectors, queries = unit_vectors(args.n), unit_vectors(200, seed=1)
    with postgres() as url:
        rows = [plain_sql(url, vectors, queries)]
        if args.side_path:
            sys.path.insert(0, args.side_path)
            rows.append(llama_index(url, vectors, queries))
    print(f"{args.n:,} vectors, 384 dims, 200 queries, top-10 (ms):\n")
    print(table(["client", "load + HNSW build s", "query p50 ms", "query p95 ms"],
                [[r["client"], r["load_s"], r["lat"]["p50"], r["lat"]["p95"]] for r in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
