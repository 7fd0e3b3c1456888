"""English questions over a Chinese corpus get curated Chinese terms before retrieval."""

from __future__ import annotations

from pathlib import Path

from assistant.core.settings import Settings
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
    assert glossary.expand("trialogues and tribulations") == "trialogues and tribulations"  # whole words only


def test_missing_file_means_no_expansion(tmp_path: Path) -> None:
    assert Glossary.load(tmp_path / "none.tsv").expand("scope creep") == "scope creep"


def test_translations_give_each_phrase_its_span_longest_first(tmp_path: Path) -> None:
    question = "Was the trial period a trial? Scope creep."
    found = _glossary(tmp_path).translations(question)
    assert [(question[s:e], terms) for s, e, terms in found] == [
        ("trial period", ("试用期",)), ("trial", ("试用",)), ("Scope creep", ("需求蔓延", "需求变更"))]
    assert _glossary(tmp_path).translations("试用期 trial") == []  # Chinese questions are not translated


def test_inflected_and_hyphenated_forms_match_their_entry(tmp_path: Path) -> None:
    path = tmp_path / "glossary.tsv"
    path.write_text("vendor\t厂商\npoach\t挖人\nprice\t价格\ncompany\t公司\nbusiness model\t商业模式\n"
                    "domain knowledge\t领域知识\nkai-fu lee\t李开复\nto b\tTo B\n", encoding="utf-8")
    glossary = Glossary.load(path)
    assert glossary.expand("Small vendors poaching teams") == "Small vendors poaching teams 厂商 挖人"
    assert glossary.expand("priced companies") == "priced companies 公司 价格"  # longest entry first
    assert glossary.expand("the business-model article") == "the business-model article 商业模式"
    assert glossary.expand("a domain-knowledge gap") == "a domain-knowledge gap 领域知识"
    assert glossary.expand("Kai Fu Lee said") == "Kai Fu Lee said 李开复"
    assert glossary.expand("To B sales") == "To B sales To B"
    # Only regular inflections of whole words: no other word that starts the same way.
    for unchanged in ("vendorship", "poachers", "pricey", "to be or not", "businessmodel"):
        assert glossary.expand(unchanged) == unchanged


def test_every_term_of_the_round_4_additions_occurs_in_the_corpus() -> None:
    # Vocabulary read off the dev questions must translate into words the corpus uses (the
    # earlier company-name section lists names on purpose that the corpus lacks: answerability).
    from assistant.text import normalize

    root = Path(__file__).resolve().parents[1] / "corpus"
    corpus = "".join(normalize(p.read_text("utf-8")) for p in root.rglob("*.md")).lower()
    lines = (root / "glossary.tsv").read_text("utf-8").splitlines()
    added = lines[next(i for i, line in enumerate(lines) if line.startswith("# Round 4")):]
    terms = [t for line in added if "\t" in line and not line.startswith("#") for t in line.split("\t")[1].split("|")]
    assert len(terms) > 30
    assert [t for t in terms if normalize(t).lower() not in corpus] == []


def test_the_shipped_glossary_covers_both_market_sides_and_chat_apps() -> None:
    """"To C" is as much a domain term as "To B": an English question naming it must reach the
    Chinese passages (without it "Do the articles agree on whether To C chat apps have a
    chance?" had no expansion and abstained)."""
    expanded = Glossary.load(Settings().glossary_path).expand("Do To C chat apps have a chance?")
    assert "C端" in expanded and "聊天机器人" in expanded


def test_the_shipped_glossary_knows_pm_and_added_requirements() -> None:
    """"PM" alone made the question look out of scope ("The sources do not mention PM.")."""
    expanded = Glossary.load(Settings().glossary_path).expand("What should a PM do when the customer keeps adding requirements?")
    assert "产品经理" in expanded and "新增需求" in expanded
