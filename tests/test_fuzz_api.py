"""Property-based fuzzing of credentials. The OpenAPI surface is fuzzed with every schemathesis
check in tests/hardening/test_openapi_contract.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.core.settings import Settings
from assistant.service.pipeline import Pipeline
from hindsight.app import create_app


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
