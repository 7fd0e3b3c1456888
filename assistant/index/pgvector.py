"""The dense index in PostgreSQL + pgvector: one table per build, an HNSW index, plain SQL.

    hindsight_dense_builds(build_id PK, table_name, dim, rows, ready, ...)   the registry
    hindsight_dense_<build>(row PK, doc_id, embedding vector(dim), meta jsonb)  one per build

The build id is the unit of consistency: ingest pushes a build's stored vectors (nothing is
re-embedded), builds the HNSW index and marks the build ready before `current` is swapped;
a replica opens the build its `current` points at; GC drops the table with the build.
Plain SQL through psycopg, not llama-index's PGVectorStore: see docs/scaling.md for why.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from assistant.index.indexes import Index, Query, Ranked

REGISTRY = "hindsight_dense_builds"


class VectorStoreError(RuntimeError):
    """The vector database is unreachable or does not hold the build asked for."""


def libpq_url(url: str) -> str:
    """An SQLAlchemy URL (postgresql+psycopg://…) as the libpq URL psycopg connects with."""
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)


def table_name(build_id: str) -> str:
    """The table holding one build's rows (build ids are timestamps + hex: safe once lowered)."""
    return "hindsight_dense_" + re.sub(r"[^a-z0-9]", "_", build_id.lower())


def _configure(conn: Any) -> None:
    """Each new connection: the extension present (created on a fresh database), vector type known."""
    import psycopg  # lazy: optional dependency (extra "pgvector")
    from pgvector.psycopg import register_vector  # lazy: as above

    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() is None:
        with contextlib.suppress(psycopg.errors.UniqueViolation):  # another connection just did
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    register_vector(conn)


class PgVectorStore:
    """Connections to one database: pushes, opens and drops builds' dense tables."""

    def __init__(self, url: str, hnsw_m: int = 16, ef_construction: int = 64, ef_search: int = 200,
                 pool_size: int = 8, connect_timeout: float = 10.0, build_memory_mb: int = 1024) -> None:
        self.url = libpq_url(url)
        self.hnsw_m, self.ef_construction, self.ef_search = hnsw_m, ef_construction, ef_search
        self.pool_size, self.connect_timeout = pool_size, connect_timeout
        self.build_memory_mb = build_memory_mb
        # A small thread-free pool: idle connections reused LIFO, at most pool_size in use.
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(pool_size)

    @classmethod
    def from_settings(cls, s: Any) -> PgVectorStore:
        url = s.pgvector_url or s.database_url
        if not url:
            raise VectorStoreError("vector_store=pgvector needs HINDSIGHT_PGVECTOR_URL or HINDSIGHT_DATABASE_URL")
        return cls(url, s.pgvector_hnsw_m, s.pgvector_ef_construction, s.pgvector_ef_search,
                   s.pgvector_pool_size)

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection; database errors become VectorStoreError."""
        import psycopg  # lazy: optional dependency (extra "pgvector")

        if not self._slots.acquire(timeout=self.connect_timeout):
            raise VectorStoreError(f"pgvector: all {self.pool_size} connections busy for {self.connect_timeout}s")
        conn = None
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            conn = conn or self._connect()
            yield conn
        except psycopg.Error as exc:
            raise VectorStoreError(f"pgvector: {exc}".strip()) from exc
        finally:
            if conn is not None and not (conn.closed or conn.broken):
                with self._lock:
                    self._idle.append(conn)
            self._slots.release()

    def _connect(self) -> Any:
        import psycopg  # lazy: optional dependency (extra "pgvector")

        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)))
        _configure(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def setup(self) -> None:
        """The registry table (idempotent; each connection creates the extension if missing)."""
        with self.connection() as conn:
            conn.execute(f"""CREATE TABLE IF NOT EXISTS {REGISTRY} (
                build_id text PRIMARY KEY, table_name text NOT NULL, dim int NOT NULL,
                rows int NOT NULL, hnsw_m int NOT NULL, ef_construction int NOT NULL,
                ready boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now())""")

    def push(self, build_id: str, vectors: np.ndarray, doc_ids: Sequence[str],
             metas: Sequence[dict[str, Any]]) -> None:
        """Copy a build's vectors (row i = chunk i) with their metadata; build HNSW; mark ready."""
        from psycopg import sql  # lazy: optional dependency (extra "pgvector")

        self.setup()
        n, dim = vectors.shape
        table = sql.Identifier(table_name(build_id))
        with self.connection() as conn, conn.transaction():
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
            conn.execute(f"DELETE FROM {REGISTRY} WHERE build_id = %s", (build_id,))
            conn.execute(sql.SQL("CREATE TABLE {} (row int PRIMARY KEY, doc_id text NOT NULL, "
                                 "embedding vector({}) NOT NULL, meta jsonb NOT NULL)")
                         .format(table, sql.Literal(dim)))
            _copy_rows(conn, table, vectors, doc_ids, metas)
            # HNSW builds far faster when the graph fits in memory (pgvector warns otherwise).
            conn.execute(f"SET LOCAL maintenance_work_mem = '{self.build_memory_mb:d}MB'")
            conn.execute(sql.SQL("CREATE INDEX ON {} USING hnsw (embedding vector_ip_ops) "
                                 "WITH (m = {}, ef_construction = {})")
                         .format(table, sql.Literal(self.hnsw_m), sql.Literal(self.ef_construction)))
            conn.execute(sql.SQL("ANALYZE {}").format(table))
            conn.execute(f"INSERT INTO {REGISTRY} (build_id, table_name, dim, rows, hnsw_m, "
                         "ef_construction, ready) VALUES (%s, %s, %s, %s, %s, %s, true)",
                         (build_id, table_name(build_id), dim, n, self.hnsw_m, self.ef_construction))

    def has_build(self, build_id: str) -> bool:
        self.setup()
        with self.connection() as conn:
            row = conn.execute(f"SELECT ready FROM {REGISTRY} WHERE build_id = %s", (build_id,)).fetchone()
        return bool(row and row[0])

    def builds(self) -> list[str]:
        self.setup()
        with self.connection() as conn:
            return [r[0] for r in conn.execute(f"SELECT build_id FROM {REGISTRY} ORDER BY build_id")]

    def drop(self, build_id: str) -> None:
        """Remove a build's table and registry row (garbage collection follows the build dirs)."""
        from psycopg import sql  # lazy: optional dependency (extra "pgvector")

        with self.connection() as conn, conn.transaction():
            conn.execute(f"DELETE FROM {REGISTRY} WHERE build_id = %s", (build_id,))
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table_name(build_id))))

    def open(self, build_id: str) -> PgVectorIndex:
        """The index of one ready build; VectorStoreError when ingest has not pushed it."""
        with self.connection() as conn:
            row = conn.execute(f"SELECT rows, ready FROM {REGISTRY} WHERE build_id = %s",
                               (build_id,)).fetchone() if _registry_exists(conn) else None
        if not row or not row[1]:
            raise VectorStoreError(f"build {build_id} has no vectors in pgvector; run `hindsight ingest` "
                                   "with HINDSIGHT_VECTOR_STORE=pgvector")
        return PgVectorIndex(self, build_id, int(row[0]))


def _registry_exists(conn: Any) -> bool:
    return conn.execute("SELECT to_regclass(%s)", (REGISTRY,)).fetchone()[0] is not None


def _copy_rows(conn: Any, table: Any, vectors: np.ndarray, doc_ids: Sequence[str],
               metas: Sequence[dict[str, Any]]) -> None:
    """Binary COPY: the fastest way in; vectors go as float32, unchanged."""
    from psycopg import sql  # lazy: optional dependency (extra "pgvector")
    from psycopg.types.json import Jsonb  # lazy: as above

    vectors = np.asarray(vectors, dtype=np.float32)
    stmt = sql.SQL("COPY {} (row, doc_id, embedding, meta) FROM STDIN WITH (FORMAT BINARY)").format(table)
    with conn.cursor().copy(stmt) as copy:
        copy.set_types(["int4", "text", "vector", "jsonb"])
        for i in range(len(vectors)):
            copy.write_row((i, doc_ids[i], vectors[i], Jsonb(metas[i])))


class PgVectorIndex(Index):
    """One build's dense rows in pgvector: inner product over normalised vectors (= cosine).

    Unfiltered queries use HNSW with ef_search ≥ k. Filtered queries (the retriever's permitted
    rows) scan exactly: pgvector 0.6 filters after the HNSW candidates, which would drop hits.
    """

    def __init__(self, store: PgVectorStore, build_id: str, rows: int) -> None:
        self.store, self.build_id, self.rows = store, build_id, rows
        self.table = table_name(build_id)

    def __len__(self) -> int:
        return self.rows

    def save(self, directory: Any) -> None:
        raise NotImplementedError("pgvector rows are pushed by PgVectorStore.push, not saved to files")

    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> Ranked:
        if query.vector is None or not self.rows:
            return []
        k = min(k, self.rows if allowed is None else len(allowed))
        if k <= 0:
            return []
        vector = np.asarray(query.vector, dtype=np.float32).ravel()
        with self.store.connection() as conn, conn.transaction():
            conn.execute(f"SET LOCAL hnsw.ef_search = {max(self.store.ef_search, k):d}")
            if allowed is None:
                rows = conn.execute(
                    f'SELECT row, embedding <#> %s FROM "{self.table}" ORDER BY 2 LIMIT %s', (vector, k))
            else:
                conn.execute("SET LOCAL enable_indexscan = off")
                rows = conn.execute(
                    f'SELECT row, embedding <#> %s FROM "{self.table}" WHERE row = ANY(%s) '
                    "ORDER BY 2 LIMIT %s", (vector, allowed.astype(np.int32).tolist(), k))
            return [(int(r), -float(d)) for r, d in rows]
