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


def test_a_two_letter_acronym_matches_its_plural_and_nothing_longer(tmp_path: Path) -> None:
    path = tmp_path / "glossary.tsv"
    path.write_text("pm\t产品经理\nit department\t信息部\n", encoding="utf-8")
    glossary = Glossary.load(path)
    assert glossary.expand("What should PMs do?") == "What should PMs do? 产品经理"
    assert glossary.uncovered_words("What should PMs do?") == []
    for unchanged in ("PMF", "pmo", "its department"):  # another word; a phrase's short word stays exact
        assert glossary.expand(unchanged) == unchanged


ROOT = Path(__file__).resolve().parents[1]
NAMES_BLOCK = "# Companies, products and people"  # names the corpus may lack, on purpose (answerability)


def _shipped_rows(section: str = "") -> list[tuple[str, list[str]]]:
    """(phrase, Chinese terms) of corpus/glossary.tsv outside the names block; from `section` on if given."""
    lines = (ROOT / "corpus" / "glossary.tsv").read_text("utf-8").splitlines()
    if section:
        lines = lines[next(i for i, line in enumerate(lines) if line.startswith(section)):]
    rows, in_names = [], False
    for line in lines:
        if line.startswith("#"):
            in_names = line.startswith(NAMES_BLOCK) or (in_names and not line.startswith("# Round"))
        elif "\t" in line and not in_names:
            phrase, terms = line.split("\t", 1)
            rows.append((phrase, terms.split("|")))
    return rows


def test_every_term_outside_the_names_block_occurs_in_the_corpus() -> None:
    # A glossary term the sources never write finds nothing in BM25 and makes an English word
    # look known to answerability. Only the company/people block lists names on purpose that the
    # corpus lacks (an English name must still reach its Chinese form; answerability knows it is absent).
    from assistant.text import normalize

    corpus = "".join(normalize(p.read_text("utf-8")) for p in (ROOT / "corpus").rglob("*.md")).lower()
    rows = _shipped_rows()
    assert len(rows) > 500
    assert not any(phrase.startswith("baidu") for phrase, _ in rows)  # the names block is skipped
    assert [(p, t) for p, terms in rows for t in terms if normalize(t).lower() not in corpus] == []


def test_round_5_terms_come_from_the_indexed_documents() -> None:
    """The corpus-vocabulary section was read off what ingest indexes (not the postmortem README or
    template), so each of its terms is in a document's title or text."""
    from assistant.text import normalize
    from tools.glossary_candidates import corpus_texts

    text = "\n".join(corpus_texts(ROOT / "corpus")).lower()
    rows = _shipped_rows("# Round 5")
    assert len(rows) > 300
    assert [(p, t) for p, terms in rows for t in terms if normalize(t).lower() not in text] == []


def test_no_phrase_is_listed_twice() -> None:
    """Longest phrases match first and blank what they matched: a second row for the same phrase
    (or its hyphenated / spaced twin) would silently never match."""
    import re

    rows = [line.split("\t", 1)[0] for line in (ROOT / "corpus" / "glossary.tsv").read_text("utf-8").splitlines()
            if "\t" in line and not line.startswith("#")]
    keys = [re.sub(r"[\s-]+", " ", phrase.strip().lower()) for phrase in rows]
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_candidates_rank_domain_terms_above_everyday_words(tmp_path: Path) -> None:
    from tools.glossary_candidates import candidates, glossary_terms

    texts = ["我们认为私有化部署的成本很高，我们的客户要私有化部署。", "我们的试用期结束，私有化部署没有签约。"]
    found = {c.term: c for c in candidates(texts, min_tf=2)}
    assert found["私有化"].tf == 3 and found["私有化"].df == 2
    assert "我们" in found and found["私有化"].score > found["我们"].score  # as frequent, far more salient
    assert "试用期" not in found  # seen once: below min_tf
    path = tmp_path / "glossary.tsv"
    path.write_text("# header\non-premise\t私有化部署|私有化\n", encoding="utf-8")
    assert glossary_terms(path) == {"私有化部署", "私有化"}


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


def test_the_shipped_glossary_reads_ready_as_prepared_not_willing() -> None:
    """Round 18 (docs/retrieval.md): "ready" alone had no entry, and CC-CEDICT's only corpus word for
    it is 愿意 (willing, a secondary sense), so "is customers' data ready?" missed the postmortem
    whose title says the data 不具备."""
    expanded = Glossary.load(Settings().glossary_path).expand("Is the customer's data ready for an LLM?")
    assert "准备" in expanded and "具备" in expanded
    assert Glossary.load(Settings().glossary_path).uncovered_words("Is the data ready?") == []


def test_month_names_and_durations_are_written_as_the_sources_write_them() -> None:
    # Round 9: "by November" and "a 3-year exclusivity" were names the corpus lacked, so the
    # question was refused; the Chinese sources write 11月 and 3 年.
    question = "Why was the contract not signed by November, after a 3-year exclusivity and 12 weeks of delay?"
    assert Glossary().expand(question) == f"{question} 11月 3年 12周"
    found = Glossary().translations(question)
    assert [question[s:e] for s, e, _ in found] == ["November", "3-year", "12 weeks"]
    # Round 10: a count of people, in each form the sources write ("a 5-person team" was refused).
    assert Glossary().expand("We are a 5-person team") == "We are a 5-person team 5人 5个人 5名"
    # A month name that opens the question is a modal verb, and a bare year is no duration.
    assert Glossary().expand("May I see the 2024 plan?") == "May I see the 2024 plan?"


def test_a_term_is_glossed_by_the_phrase_that_means_it() -> None:
    """english() reads the first phrase that lists a term first: a row listing a looser term first
    glossed it wrongly in two trials ("数据治理 = data quality", docs/trial-round11.md)."""
    glossary = Glossary.load(Settings().glossary_path)
    assert glossary.english("数据治理") == "data governance"
    assert glossary.english("数据基础") == "data quality"


def test_synonyms_beside_the_glossary_are_read_folded(tmp_path: Path) -> None:
    (tmp_path / "glossary.tsv").write_text("trial\t试用\n", encoding="utf-8")
    (tmp_path / "synonyms.tsv").write_text("# comment\n甲方\t客户\n乙方\t服务商|厂商\n", encoding="utf-8")
    glossary = Glossary.load(tmp_path / "glossary.tsv")
    assert glossary.synonyms_of("乙方") == ("服务商", "厂商")
    assert glossary.synonyms_of("客户") == ()
    assert Glossary.load(tmp_path / "elsewhere" / "glossary.tsv").synonyms_of("甲方") == ()
    # a Chinese question is not expanded: the synonyms are for the answerability check's terms
    assert glossary.expand("甲方为什么不签合同？") == "甲方为什么不签合同？"


def test_every_synonym_replaces_a_word_the_sources_lack_with_one_they_use() -> None:
    """A synonym row is only worth having for a word the indexed documents never use, and only
    right when its terms are the documents' own words."""
    from assistant.text import normalize
    from tools.glossary_candidates import corpus_texts

    text = normalize("\n".join(corpus_texts(ROOT / "corpus")))
    glossary = Glossary.load(ROOT / "corpus" / "glossary.tsv")
    assert len(glossary.synonyms) >= 20
    assert [w for w, _ in glossary.synonyms if w in text] == []
    assert [(w, t) for w, terms in glossary.synonyms for t in terms if normalize(t) not in text] == []
