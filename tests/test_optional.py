"""Missing optional components: skipped locally, a failure with the reason under CI=true."""

from __future__ import annotations

import pytest

from testing.optional import installed, require


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_missing_component_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="chromium missing.*CI=true"):
        require(False, "chromium missing")


@pytest.mark.parametrize("ci", [None, "", "false"])
def test_missing_component_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="chromium missing"):
        require(False, "chromium missing")


def test_present_component_continues(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    require(True, "unused")
    assert installed("json", "pytest") and not installed("no_such_module_hindsight")
