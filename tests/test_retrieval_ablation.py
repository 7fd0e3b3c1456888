"""The retrieval ablation bench runs on a real index and scores with the eval's own metrics."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from assistant.core.settings import Settings
from assistant.retrieve.retriever import _min_max
from assistant.text import normalize
from bench import retrieval_ablation as ablation

EASY = {"id": "a1", "question": "试用期结束后客户转向了谁？",
        "gold": [{"doc_id": "trial-conversion", "spans": ["客户转向了服务更成熟的大厂"]}]}
NOWHERE = {"id": "a2", "question": "试用期结束后客户转向了谁？",
           "gold": [{"doc_id": "trial-conversion", "spans": ["这句话不在任何文档里"]}]}


def test_split_is_the_shared_definition() -> None:
    # sha256("q001")[0] is even and sha256("q002")[0] odd (eval/questions.jsonl ids).
    assert ablation.split_of("q001") == "dev" and ablation.split_of("q002") == "test"


def test_variants_score_gold_spans_with_the_eval_metrics(real_settings: Settings, tmp_path: Path) -> None:
    bench = ablation.Workbench(real_settings, tmp_path / "cache", with_sparse=False)
    prepared = [bench.prepare(EASY)]
    for name in ("shipped", "baseline: RRF dense 0.5 + bigram 1 (expanded query)",
                 "linear dense 1 + sentmax 1 + bigram 1 + jieba 1"):
        metrics = ablation.evaluate(ablation.VARIANTS[name], prepared, bench)
        assert metrics["hit@5"] == 1.0 and metrics["recall@5"] == 1.0 and metrics["p50_ms"] >= 0
    missing = ablation.evaluate(ablation.VARIANTS["shipped"], [bench.prepare(NOWHERE)], bench)
    assert missing["hit@5"] == 0.0 and missing["mrr@10"] == 0.0


def test_min_max_scales_each_ranker_to_unit_range() -> None:
    assert _min_max([(3, 9.0), (1, 5.0), (2, 1.0)]) == [(3, 1.0), (1, 0.5), (2, 0.0)]
    assert _min_max([(4, 0.7), (5, 0.7)]) == [(4, 1.0), (5, 1.0)]  # a tie carries full weight
    assert _min_max([]) == []


def test_term_proximity_prefers_the_question_words_close_together() -> None:
    weights = {"排他": 3.0, "条款": 2.0, "银行": 1.0}
    close = "合同里银行加了排他条款。" + "其他内容。" * 40
    apart = "合同里银行加了排他。" + "其他内容。" * 40 + "条款另议。"
    partial = "银行的其他内容。" * 5
    proximity = ablation.term_proximity
    assert proximity(close, weights) > proximity(apart, weights) > proximity(partial, weights) > 0
    assert proximity("毫不相干的一段话", weights) == 0.0
    assert proximity("只有排他", weights) > proximity("只有银行", weights)  # rarer words weigh more
    # the window variant: only what one window holds counts
    assert ablation.window_coverage(apart, weights, 60) == 4.0 / 6.0
    assert ablation.window_coverage(close, weights, 60) == 1.0


def test_content_words_drop_question_scaffolding() -> None:
    words = ablation.content_words("为什么很多大模型项目签了单却交付不了？")
    assert "为什么" not in words and "交付" in words and "签" in words
    assert ablation.content_words("What is scope creep?") == ["scope", "creep"]
    assert "为什么" not in ablation.strip_scaffolding("为什么客户丢单？")


def test_round5_variants_run_on_a_real_index(real_settings: Settings, tmp_path: Path) -> None:
    bench = ablation.Workbench(real_settings, tmp_path / "cache", with_sparse=False)
    prepared = [bench.prepare(EASY)]
    assert prepared[0].scores["proximity"].shape == (len(bench.index.chunks),)
    for name, rank in ablation.VARIANTS.items():
        if name.startswith("round 5") and ("MinCover" in name or "Rocchio" in name or "RM3" in name):
            assert ablation.evaluate(rank, prepared, bench)["hit@5"] == 1.0, name


def test_pair_count_reads_ordered_and_unordered_windows() -> None:
    count = ablation.pair_count
    assert count("加了排他条款。", "排他", "条款", ordered=True, gap=0) == 1
    assert count("加了排他条款。", "条款", "排他", ordered=True, gap=0) == 0  # wrong order
    assert count("加了排他条款。", "条款", "排他", ordered=False, gap=16) == 1
    gapped = "排他的那些条款"  # 3 characters between the words
    assert count(gapped, "排他", "条款", ordered=True, gap=2) == 0
    assert count(gapped, "排他", "条款", ordered=True, gap=3) == 1
    far = "排他" + "其他内容。" * 4 + "条款"
    assert count(far, "排他", "条款", ordered=False, gap=16) == 0
    assert count(far + "排他条款，排他条款", "排他", "条款", ordered=True, gap=0) == 2  # one per occurrence


def test_content_bigrams_bridge_jieba_splits_but_not_scaffolding() -> None:
    grams = ablation.content_bigrams("为什么银行要加排他条款？")
    assert "排他" in grams and "条款" in grams
    assert not any(set(g) & set("为什么") for g in grams)


def test_round5b_signals_are_chinese_only_and_run_on_a_real_index(real_settings: Settings, tmp_path: Path) -> None:
    bench = ablation.Workbench(real_settings, tmp_path / "cache", with_sparse=False)
    zh = bench.prepare(EASY)
    assert zh.scores["sdm-o2uw16"].shape == (len(bench.index.chunks),) and zh.scores["prox-zh"].any()
    english = bench.prepare({**EASY, "id": "a3", "question": "Who did the customer turn to after the trial?"})
    assert not english.scores["prox-zh"].any() and not english.scores["sdm-o2uw16"].any()
    for name, rank in ablation.ROUND5B_VARIANTS.items():
        assert ablation.evaluate(rank, [zh], bench)["hit@5"] == 1.0, name


def test_soft_max_runs_from_the_max_to_the_mean_and_the_sum_rewards_more_close_sentences() -> None:
    values = np.array([0.90, 0.88, 0.70])
    assert abs(ablation.soft_max(values, 1e-4) - 0.90) < 1e-3
    assert abs(ablation.soft_max(values, 100.0) - values.mean()) < 1e-3
    assert ablation.soft_max(values, 0.02) < 0.90  # over the mean: below the max
    lsesum = lambda v, t: ablation.soft_max(v, t) + t * np.log(len(v))  # noqa: E731 (SumP-like)
    assert lsesum(np.array([0.90, 0.89]), 0.02) > lsesum(np.array([0.90, 0.60]), 0.02) > 0.90


def test_fused_scores_scale_by_min_max_z_score_or_comb_mnz() -> None:
    prep = ablation.Prepared("x", "q", {}, None, {"a": np.array([3.0, 2.0, 1.0]), "b": np.array([0.0, 0.0, 5.0])})
    weights = {"a": 1.0, "b": 1.0}
    assert ablation.fused_scores(prep, weights) == {0: 1.0, 1: 0.5, 2: 1.0}
    z = ablation.fused_scores(prep, weights, scale="zscore")
    assert abs(sum(z.values())) < 1e-9 and z[0] > z[2] > z[1]  # min-max ties rows 0 and 2, z-score does not
    assert ablation.fused_scores(prep, weights, scale="mnz") == {0: 2.0, 1: 1.0, 2: 2.0}  # every row from both


def test_neighbour_smoothing_moves_a_chunk_by_its_neighbours_scores() -> None:
    # rows 0-1-2 one document, row 3 another; the fusion alone ranks 1 > 3 > 0 > 2
    prep = ablation.Prepared("x", "q", {}, None, {"f": np.array([0.2, 1.0, 0.0, 0.9]),
                                                  "sentmaxx": np.array([0.9, 0.1, 0.5, 0.5])})
    bench = SimpleNamespace(round5c=SimpleNamespace(neighbours=[[1], [0, 2], [1], []]))
    rank = lambda mode, a: ablation.neighbour_smoothing({"f": 1.0}, a, mode)(prep, bench)  # noqa: E731
    assert rank("mean", 0.0) == [1, 3, 0, 2]
    assert rank("mean", 1.0) == [0, 1, 2, 3]  # 0 and 2 lean on 1 and pass 3, which has no neighbour
    assert rank("sentence", 1.0)[0] == 3  # 1's neighbour 0 has the far better sentence
    assert rank("fused", 1.0) == [1, 3, 0, 2]  # the best chunk's own neighbours only fall further


def test_round5c_signals_run_on_a_real_index(real_settings: Settings, tmp_path: Path) -> None:
    bench = ablation.Workbench(real_settings, tmp_path / "cache", with_sparse=False)
    prep = bench.prepare(EASY)
    n = len(bench.index.chunks)
    near = bench.round5c.neighbours
    assert all(bench.index.chunks[a].doc_id == bench.index.chunks[b].doc_id for a in range(n) for b in near[a])
    assert sum(map(len, near)) == 2 * (n - len({c.doc_id for c in bench.index.chunks}))
    scores = prep.scores
    assert np.all(scores["sent-own"] <= scores["sentmaxx"] + 1e-6) and np.all(scores["sent-top2"] <= scores["sentmaxx"] + 1e-6)
    assert np.all(scores["sent-lsesum0.02"] >= scores["sentmaxx"] - 1e-6)
    assert np.all(scores["sent-lsesum-std1"] >= scores["sentmaxx"] - 1e-6)
    for below in ("sent-pair", "sent-lse0.02", "sent-top3"):  # a mean or a soft max never passes the max
        assert np.all(scores[below] <= scores["sentmaxx"] + 1e-6), below
    assert np.all(scores["sent-top3"] <= scores["sent-top2"] + 1e-6)
    assert np.any(scores["sent-top2"] < scores["sentmaxx"] - 1e-4)  # not the max under another name
    # query likelihood: a chunk holding the question's words beats one holding none of them
    ql = scores["ql-bigram-1"]
    gold = [i for i, c in enumerate(bench.index.chunks) if "客户转向了服务更成熟的大厂" in normalize(c.text)]
    assert gold and ql[gold[0]] > np.median(ql)
    for name, rank in ablation.ROUND5C_VARIANTS.items():
        assert ablation.evaluate(rank, [prep], bench)["hit@5"] == 1.0, name


def test_round7_answer_type_cues_read_the_answer_not_the_topic() -> None:
    cues = ablation.Round7.CUES
    assert cues["why"].search("因为数据没有准备好，项目延期") and not cues["why"].search("客户在试用期内提出新需求")
    assert cues["how"].search("试用开始前要写清验收指标，建议每周汇报")
    assert cues["number"].search("试用合同只有30万元") and cues["number"].search("谈了五次")
    assert not cues["number"].search("客户转向了服务更成熟的大厂")
    assert cues["when"].search("2024年9月签约") and cues["when"].search("晚了两周")
    more = ablation.Round7.MORE_CUES
    assert more["list"].search("一是数据，二是场景；此外还有预算") and not more["list"].search("客户转向了大厂")


def test_round7_signals_run_on_a_real_index(real_settings: Settings, tmp_path: Path) -> None:
    bench = ablation.Workbench(real_settings, tmp_path / "cache", with_sparse=False)
    chunks, texts = bench.index.chunks, bench.round5.normalized
    why = bench.prepare({**EASY, "id": "a4", "question": "银行项目的合同为什么停滞了？"})
    scores = why.scores
    for name in ("cue", "cue-any", "role", "rare1", "rare2", "rare1-sub", "docidf", "contrast", "head-cos"):
        assert scores[name].shape == (len(chunks),) and np.array_equal(scores[f"{name}-zh"], scores[name]), name
    # section role: a why question leans on the 根因 section, not on 背景
    role = {c.section.split(" > ")[-1]: float(scores["role"][i]) for i, c in enumerate(chunks)}
    assert role.get("根因", 1.0) == 1.0 and role.get("背景", 0.0) == 0.0 and scores["role"].any()
    # the answer-type cue: only chunks with a causal sentence about the question's words score
    assert scores["cue"].any() and all(ablation.Round7.CUES["why"].search(texts[i]) for i in np.flatnonzero(scores["cue"]))
    assert np.all(scores["cue"] <= scores["cue-any"] + 1e-9)
    # rarest-term anchoring scores exactly the chunks that hold the rarest known content word
    easy = bench.prepare(EASY).scores
    rare = easy["rare1"]
    assert rare.any() and len(set(rare[rare > 0].round(6))) == 1  # one word: one value, held or not
    assert np.all(easy["rare2"] >= rare - 1e-9)
    assert not easy["cue"].any()  # a who question has no cue of its own
    english = bench.prepare({**EASY, "id": "a5", "question": "Why did the bank contract stall?"}).scores
    assert not any(english[f"{n}-zh"].any() for n in ("cue", "role", "rare1", "docidf")) and english["role"].any()
    for name, rank in ablation.ROUND7_VARIANTS.items():
        assert ablation.evaluate(rank, [bench.prepare(EASY)], bench)["hit@5"] == 1.0, name


def test_changes_count_questions_gained_and_lost() -> None:
    result = {"per-question": [(1.0, 1.0), (0.0, 0.5), (0.0, 0.2), (1.0, 1.0)]}
    reference = {"per-question": [(0.0, 0.5), (1.0, 1.0), (0.0, 0.25), (1.0, 1.0)]}
    assert ablation.changes(result, reference) == "+1−1 / +1−2"
