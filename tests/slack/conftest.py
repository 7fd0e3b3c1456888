"""Fixtures shared by the Slack tests: a fake Slack Web API and the app pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.service.pipeline import Pipeline
from hindsight.app import create_app
from testing.fake_slack import FakeSlack, slack_settings


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def app(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path, slack: FakeSlack) -> Iterator[TestClient]:
    """The app over the real fixture index with Slack enabled against the fake, fresh database."""
    with TestClient(create_app(slack_settings(real_settings, tmp_path, slack), pipeline=real_pipeline)) as client:
        yield client
