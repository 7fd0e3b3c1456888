"""Optional test components: skipped on a developer's machine, a failure with the reason in CI.

CI (`CI=true`, as GitHub Actions and most runners set it) has every component installed, so a
missing one there is a broken setup, not a reason to pass silently.
"""

from __future__ import annotations

import os
from importlib.util import find_spec

import pytest

CI_VALUES = {"1", "true", "yes"}


def in_ci() -> bool:
    """True when the CI environment variable says so."""
    return os.environ.get("CI", "").strip().lower() in CI_VALUES


def require(available: bool, reason: str) -> None:
    """Continue when available; otherwise skip (locally) or fail naming the missing part (CI)."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing component fails the run instead of skipping)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def installed(*modules: str) -> bool:
    """True when every module can be imported (without importing it)."""
    return all(find_spec(m) is not None for m in modules)
