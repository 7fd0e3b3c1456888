"""Round 20 (docs/answers.md): a passage that joins an answer by one close unit does not bring its
other units along; the lead's passage does."""

from __future__ import annotations

import numpy as np

from assistant.answer.analysis import analyse
from assistant.answer.select import MARGIN, NEW_SOURCE_MARGIN, Scored, select
from assistant.answer.units import EvidenceUnit


def _scored(text: str, rank: int, relevance: float, axis: int) -> Scored:
    doc = f"doc-{rank}"
    unit = EvidenceUnit(axis, rank, doc, axis * 1000, axis * 1000 + len(text), text, "正文")
    return Scored(unit, relevance, relevance, np.eye(8, dtype=np.float32)[axis], cover=0.5)


def test_a_second_passage_adds_only_its_units_close_to_the_lead() -> None:
    lead = _scored("年初规划的一系列产品，最终只保留了两个产品。", 0, 0.96, 0)
    close = _scored("大模型落地部署价格从最早的几百万降到几十万。", 1, 0.96 - NEW_SOURCE_MARGIN / 2, 1)
    # Within MARGIN of the lead but not within NEW_SOURCE_MARGIN: another article's commentary
    far = [_scored(text, 1, 0.96 - NEW_SOURCE_MARGIN - (i + 1) * 0.01, 2 + i)
           for i, text in enumerate(["说回大模型，其实大模型和上一代AI的时代一模一样。",
                                     "大家拼的是专业领域的数据收集能力。"])]
    own = _scored("这两个产品仍处于早期客户的挖掘阶段，其他产品都已下线。", 0, 0.96 - MARGIN * 0.8, 4)
    chosen = select([lead, close, *far, own], analyse("年初规划的那一批企业级大模型产品，后来怎么样了？"), 6, 0.7)
    assert chosen[0] is lead
    assert close in chosen and own in chosen  # a new source within its margin; the lead's passage within MARGIN
    assert not any(s in chosen for s in far)  # the new source's other units are held to its margin too
