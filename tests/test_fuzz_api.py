"""Property-based fuzzing of the OpenAPI surface (schemathesis, in-process ASGI): never a 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis.generation.modes import GenerationMode

from assistant.core.settings import Settings
from assistant.service.pipeline import Pipeline
from assistant.surfaces.app import create_app

EXAMPLES_PER_OPERATION = 40  # × 2 modes × every operation; see docs/security.md for the volume
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzz_app(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path) -> FastAPI:
    """The real app over the real fixture index, with tight limits so they are exercised too."""
    overrides: dict[str, Any] = {
        "data_dir": tmp_path / "data", "max_body_bytes": 64_000,
        # Slack enabled (else its routes answer a deliberate 503), pointed at a closed local port.
        "slack_signing_secret": SecretStr("fuzz-signing-secret"), "slack_bot_token": SecretStr("xoxb-fuzz"),
        "slack_api_base_url": "http://127.0.0.1:9/api/",
    }
    return create_app(real_settings.model_copy(update=overrides), pipeline=real_pipeline)


def test_openapi_surface_never_answers_5xx(fuzz_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    sent: dict[str, int] = {}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8, [op.label for op in operations]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, sent, failures)
    total = sum(sent.values())
    print(f"\nfuzzed {total} requests over {len(sent)} operations: {sent}")
    assert not failures, failures[:5]
    assert total >= len(operations) * 20  # the fuzzer really ran


def _fuzz(operation: Any, mode: GenerationMode, sent: dict[str, int], failures: list[str]) -> None:
    """Send EXAMPLES_PER_OPERATION generated requests for one operation; record any 5xx."""

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call()
        sent[operation.label] = sent.get(operation.label, 0) + 1
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {case.as_curl_command()}")

    try:
        run()
    except Unsatisfiable:
        # An operation with no inputs (e.g. GET /healthz) has no invalid request to generate.
        assert mode is GenerationMode.NEGATIVE, operation.label


@given(auth=st.text(max_size=80), cookie=st.text(max_size=80))
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_forged_credential_gets_in(auth: str, cookie: str, locked_client: TestClient) -> None:
    headers = {}
    if auth.isascii() and auth.isprintable():
        headers["Authorization"] = auth
    if cookie.isascii() and cookie.isprintable():
        headers["Cookie"] = f"hindsight_session={cookie}"
    response = locked_client.get("/api/documents", headers=headers)
    assert response.status_code == 401


@pytest.fixture
def locked_client(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path) -> Any:
    settings_ = real_settings.model_copy(
        update={"data_dir": tmp_path / "data", "api_keys": ["fuzz-key-0123456789abcdef"]}
    )
    with TestClient(create_app(settings_, pipeline=real_pipeline)) as client:
        yield client
