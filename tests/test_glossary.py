"""English questions over a Chinese corpus get curated Chinese terms before retrieval."""

from __future__ import annotations

from pathlib import Path

from assistant.retrieve.glossary import Glossary


def _glossary(tmp_path: Path) -> Glossary:
    path = tmp_path / "glossary.tsv"
    path.write_text("# comment\ntrial\t试用\ntrial period\t试用期\nscope creep\t需求蔓延|需求变更\n", encoding="utf-8")
    return Glossary.load(path)


def test_longest_phrase_wins_and_terms_are_appended(tmp_path: Path) -> None:
    expanded = _glossary(tmp_path).expand("What happens after the trial period? Scope creep!")
    assert expanded == "What happens after the trial period? Scope creep! 试用期 需求蔓延 需求变更"


def test_chinese_questions_and_unknown_words_pass_unchanged(tmp_path: Path) -> None:
    glossary = _glossary(tmp_path)
    assert glossary.expand("试用期 trial 为什么丢单") == "试用期 trial 为什么丢单"
    assert glossary.expand("What is the capital of Peru?") == "What is the capital of Peru?"
    assert glossary.expand("trials and tribulations") == "trials and tribulations"  # whole words only


def test_missing_file_means_no_expansion(tmp_path: Path) -> None:
    assert Glossary.load(tmp_path / "none.tsv").expand("scope creep") == "scope creep"


def test_translations_give_each_phrase_its_span_longest_first(tmp_path: Path) -> None:
    question = "Was the trial period a trial? Scope creep."
    found = _glossary(tmp_path).translations(question)
    assert [(question[s:e], terms) for s, e, terms in found] == [
        ("trial period", ("试用期",)), ("trial", ("试用",)), ("Scope creep", ("需求蔓延", "需求变更"))]
    assert _glossary(tmp_path).translations("试用期 trial") == []  # Chinese questions are not translated
