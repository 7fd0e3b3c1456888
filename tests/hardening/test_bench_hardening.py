"""bench/hardening.py's report renders what it measured (the script itself runs outside pytest)."""

from __future__ import annotations

from collections import Counter

from bench.hardening import CAP, Mixed, _render


def test_the_report_names_errors_builds_and_the_cap() -> None:
    seen = Mixed(Counter({"search 200": 5, "chat 429": 1}), ["chat: 429 too many"], {"b1", "b2", ""}, {"c1"})
    kill = {"killed_while_staging": True, "same_build": True, "staging_left": 0}
    report = _render(32, 60.0, seen, 1, Counter({200: CAP, 429: 2 * CAP}), CAP, kill, 0)
    assert "| chat 429 | 1 |" in report and "| 1 | 2 | 1 | 1 |" in report
    assert f"| {CAP} | {2 * CAP} | 0 | {CAP} |" in report
    assert "chat: 429 too many" in report and "| True | True | 0 |" in report
