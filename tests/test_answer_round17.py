"""Round 17 (docs/answers.md): a point that says nothing the question asks about is padding unless it
is nearly as relevant as the lead."""

from __future__ import annotations

import numpy as np

from assistant.answer.analysis import analyse
from assistant.answer.select import UNRELATED_MARGIN, Scored, select
from assistant.answer.units import EvidenceUnit


def _scored(text: str, relevance: float, cover: float, start: int, axis: int) -> Scored:
    unit = EvidenceUnit(start, 0, "pm-a", start, start + len(text), text, "经过")
    return Scored(unit, relevance, relevance, np.eye(4, dtype=np.float32)[axis], cover=cover)


def test_a_point_without_the_questions_words_must_be_near_the_lead() -> None:
    # The blind trial's "各文章怎么评价私有化部署？": the lead names 私有化部署, the account's other
    # sentences (one passage, within MARGIN) name nothing asked and were quoted as points.
    lead = _scored("第 9 周云厂商进场，承诺免费私有化部署半年。", 0.90, 0.6, 0, 0)
    close = _scored("第 13 周客户通知与云厂商签约。", 0.90 - UNRELATED_MARGIN + 0.01, 0.0, 100, 1)
    padding = _scored("第 4 周生产部提出“顺便”自动生成质检报告。", 0.90 - UNRELATED_MARGIN - 0.02, 0.0, 200, 2)
    asked = _scored("私有部署的报价另算。", 0.90 - UNRELATED_MARGIN - 0.02, 0.3, 300, 3)
    chosen = select([lead, close, padding, asked], analyse("各文章怎么评价私有化部署？"), 5, 0.7)
    assert chosen[0] is lead and close in chosen and asked in chosen and padding not in chosen
