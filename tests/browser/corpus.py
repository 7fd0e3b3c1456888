"""A test-only corpus: the fixture corpus plus a document full of markup that must show as text."""

from __future__ import annotations

import shutil
from pathlib import Path

XSS_DOC_ID = "xss-probe"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss=1;document.title='pwned'\">"
XSS_DOC = f"""---
id: {XSS_DOC_ID}
title: 注入测试 {XSS_SCRIPT}
author: <b>攻击者</b>
source: 测试夹具
url: javascript:alert(1)
published: 2024-07-01
doc_type: article
tags: [安全]
---

安全审查时发现的脚本注入样本：{XSS_SCRIPT} 这段标记必须原样显示为文字。
图片注入样本 {XSS_IMG} 也必须显示为文字。
"""


def write_markup_corpus(fixture_corpus: Path, dest: Path) -> Path:
    """Copy the fixture corpus to dest and add the markup probe document and curated questions
    (an abstention on their document's subject lists related passages); returns dest."""
    shutil.copytree(fixture_corpus, dest)
    shutil.copytree(fixture_corpus.parent / "curated_questions", dest / "questions")
    (dest / "articles" / f"{XSS_DOC_ID}.md").write_text(XSS_DOC, encoding="utf-8")
    return dest
