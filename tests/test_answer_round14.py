"""Round 14's user trial (docs/trial-round14.md): an English compare question naming its two sides
without "between" ("How do B2B and B2C … differently?") is read as one, and its points are grouped
by the Chinese the glossary gives each side."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.analysis import analyse
from assistant.answer.compose import _by_side
from assistant.retrieve.glossary import Glossary
from tests.test_answer_stages import _scored, _unit


@pytest.mark.parametrize(("question", "qtype", "sides"), [
    ("How do B2B and B2C LLM businesses typically make money differently?", "compare", ("B2B", "B2C")),
    ("What is the difference between trials and pilots?", "compare", ("trials", "pilots")),
    ("How should we price POCs differently?", "how", ()),  # no two names: asks how
])
def test_two_names_asked_about_differently_are_a_compare_question(question: str, qtype: str, sides: tuple[str, ...]) -> None:
    analysis = analyse(question)
    assert (analysis.qtype, analysis.sides) == (qtype, sides)


def test_an_english_sides_points_are_found_in_their_chinese(tmp_path: Path) -> None:
    (tmp_path / "glossary.tsv").write_text("B2B\tB端\nB2C\tC端\n", encoding="utf-8")
    glossary = Glossary.load(tmp_path / "glossary.tsv")
    b = _scored(_unit("B端客户的特点是购买决策周期较长。", sid=1), 0.9, [1, 0, 0])
    c = _scored(_unit("C端市场的购买决策周期较短。", sid=2), 0.8, [0, 1, 0])
    both = _scored(_unit("B端与C端的商业模式各有特点。", sid=3), 0.7, [0, 0, 1])
    analysis = analyse("How do B2B and B2C LLM businesses typically make money differently?")
    assert _by_side([b, c, both], analysis, glossary) == [("", [both]), ("B2B:", [b]), ("B2C:", [c])]
    assert _by_side([b, c, both], analysis, Glossary()) == []  # without the glossary no point names a side
