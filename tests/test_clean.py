"""Page-chrome cleaner, seed import and corpus front-matter."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(REPO))

from testing.optional import require  # noqa: E402
from tools.curate.clean import clean_page_chrome, is_chrome_line, parse_seed  # noqa: E402
from tools.curate.import_seeds import SEED_METADATA, import_seeds  # noqa: E402

ARTICLES = REPO / "corpus" / "articles"
POSTMORTEMS = REPO / "corpus" / "postmortems"


def seed_dir() -> Path:
    """The seed articles: $HINDSIGHT_SEEDS_DIR, else ../shared/seeds beside the checkout (in CI) or,
    from a git worktree, beside its main checkout."""
    if os.environ.get("HINDSIGHT_SEEDS_DIR"):
        return Path(os.environ["HINDSIGHT_SEEDS_DIR"])
    roots = [REPO]
    git = REPO / ".git"
    if git.is_file():  # a worktree: ".git" says "gitdir: <main>/.git/worktrees/<name>"
        roots.append(Path(git.read_text(encoding="utf-8").split(":", 1)[1].strip()).parents[2])
    found = [root.parent / "shared" / "seeds" for root in roots if (root.parent / "shared" / "seeds").is_dir()]
    return found[0] if found else REPO.parent / "shared" / "seeds"


SEEDS = seed_dir()
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)



@pytest.fixture
def seeds() -> Path:
    """The seed directory; a skip locally, a failure in CI, when it holds no seeds."""
    require(SEEDS.is_dir() and any(SEEDS.glob("*.txt")),
            f"seed texts not found in {SEEDS} (set HINDSIGHT_SEEDS_DIR or check out ../shared/seeds)")
    return SEEDS


needs_seeds = pytest.mark.usefixtures("seeds")

ARTICLE_FIELDS = {
    "id", "title", "author", "source", "url", "published",
    "language", "doc_type", "tags", "seed", "fetched",
}  # fmt: skip
POSTMORTEM_FIELDS = {
    "id", "title", "project", "industry", "customer_segment", "phase",
    "outcome", "date", "tags", "sample", "doc_type", "language",
}  # fmt: skip
PM_SECTIONS = ["背景", "经过", "根因", "教训", "行动项"]
EXPECTED_IDS = {
    "000_900b1b62150434dd.txt": "tob-llm-practice-2025",
    "001_41b052798e439420.txt": "llm-failed-trial-period",
    "002_6814cd498f1b3a3a.txt": "b-or-c-llm-business-model",
    "003_bd474f22375b98d3.txt": "2b-is-dead-pm",
    "004_ef9632837e9b6714.txt": "llm-gold-rush-startups",
}

BODY = "这是正文的一句话，必须原样保留。"


def split(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    match = FRONT.match(text)
    assert match, f"{path.name}: no front-matter"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict)
    return meta, text[match.end() :]


def article_paths() -> list[Path]:
    return sorted(ARTICLES.glob("*.md"))


def postmortem_paths() -> list[Path]:
    return sorted(POSTMORTEMS.glob("pm-*.md"))


# --- individual rules -------------------------------------------------------------------------

CHROME_SNIPPETS = [
    # WeChat UI
    "微信扫一扫\n关注该公众号",
    "预览时标签不可点",
    "轻触阅读原文",
    "继续滑动看下一个",
    "向上滑动看下一个",
    "知道了",
    "微信扫一扫\n使用小程序",
    "取消\n允许\n\n取消\n允许",
    "×\n分析",
    "视频\n小程序\n赞\n，轻点两下取消赞\n在看\n，轻点两下取消在看\n分享\n留言\n收藏\n听过",
    "微信扫一扫可打开此内容，\n使用完整服务",
    "个人观点，仅供参考",
    "原创",
    "原创 法兰克陈 ",
    " *2024年08月12日 19:00* *中国香港*",
    "71篇原创内容\n\n公众号",
    # woshipm
    "赞赏 收藏已收藏 点赞已赞",
    "更多精彩内容，请关注人人都是产品经理微信公众号或下载App",
    "[分享到微博](https://service.weibo.com/share/share.php?appkey=1&title=x&url=https://a.b/c)",
    "![微信二维码](https://api.pwmqr.com/qrcode/create/?url=https://www.woshipm.com/x.html)",
    "0 评论 1345 浏览 0 收藏 15 分钟",
    "2023-10-18",
    "[Alter](https://www.woshipm.com/u/39247) ![](https://static.woshipm.com/t.png) 关注",
    "[OpenAI](https://www.woshipm.com/tag/openai)[创业](https://www.woshipm.com/tag/venture)",
    "[🔗 B端产品经理需要更多地关注客户的商业需求](https://ke.qidianla.com/courses/bcpm)",
    "本文由@Alter 授权发布于人人都是产品经理，未经许可，禁止转载",
    "题图来自Unsplash，基于CC0协议",
    "该文观点仅代表作者本人，人人都是产品经理平台仅提供信息存储空间服务。",
    '{% hint style="info" %}\n**Category:** Chuangye\n**Stats:** 👁️ 1 views\n{% endhint %}',
    "[![](https://img.example/a.png)\n\nB 端产品经理如何快速成长？\n\n查看详情 >\n\n"
    "](https://ke.qidianla.com/courses/bcpm)",
    # repost footer
    "原文標題 : 大模型沒過“試用期”\n標題:大模型沒過“試用期”\n地址:https://www.utechfun.com/post/1.html",
    # images and placeholders
    "![]()",
    "![跳转二维码]()",
    "![cover_image](https://mmbiz.qpic.cn/x/0?wx_fmt=jpeg)",
    "![图片](./a.assets/640-20250503223650175)",
    "[![](https://image.woshipm.com/a.png!/both/72x72)](https://www.woshipm.com/u/39247)",
    # javascript links, lone punctuation, empty bullets
    "[弗兰克的AI日记](javascript:void(0);)",
    "：\n，\n，\n，\n。",
    "- ",
]


@pytest.mark.parametrize("chrome", CHROME_SNIPPETS)
def test_rule_removes_chrome_and_keeps_body(chrome: str) -> None:
    text = f"{BODY}\n\n{chrome}\n\n{BODY}2\n"
    assert clean_page_chrome(text) == f"{BODY}\n\n{BODY}2\n"


def test_duplicated_author_lines_under_title_are_removed_everywhere() -> None:
    text = f"# 标题\n\n原创\n\n白日放歌须纵9\n\n白日放歌须纵9\n\n{BODY}\n\n白日放歌须纵9\n"
    assert clean_page_chrome(text) == f"# 标题\n\n{BODY}\n"


def test_repeated_title_and_lead_keep_first_copy() -> None:
    text = f"# 标题\n> 摘要。\n\n---\n\n## 标题\n\n> 摘要。\n\n{BODY}\n"
    assert clean_page_chrome(text) == f"# 标题\n> 摘要。\n\n---\n\n{BODY}\n"


def test_repeated_section_headings_are_kept() -> None:
    text = "### 甲\n\n#### 一、应用场景\n\n正文一。\n\n### 乙\n\n#### 一、应用场景\n\n正文二。\n"
    assert clean_page_chrome(text) == text


def test_trailing_promo_block_is_cut_from_last_rule() -> None:
    text = f"{BODY}\n\n------\n\n口号一句\n\n![img](x.png)\n\n**某号**\n\n**欢迎扫码关注，我们一起来Fika！**"
    assert clean_page_chrome(text) == f"{BODY}\n"


def test_promo_marker_in_middle_of_text_is_not_a_tail() -> None:
    text = f"{BODY}\n\n欢迎扫码关注的做法很常见。\n\n一。\n\n二。\n\n三。\n\n四。\n"
    assert clean_page_chrome(text) == text


def test_blank_runs_whitespace_lines_and_rules_are_tidied() -> None:
    text = f"   \n\t\n\n{BODY}\n\n\n\n------\n\n------\n------\n\n{BODY}2\n  \n------\n\n"
    assert clean_page_chrome(text) == f"{BODY}\n\n------\n\n{BODY}2\n"


def test_markdown_structure_and_inline_links_are_kept() -> None:
    text = (
        "# 标题\n\n## 一、小节\n\n- **要点**：内容\n\t- 子项\n\n1. **层次化表示**：说明。\n\n"
        "最后，推荐一篇文章《[某文章](https://mp.weixin.qq.com/s?x=1#wechat_redirect)》。\n"
    )
    assert clean_page_chrome(text) == text


def test_inline_javascript_link_is_unwrapped() -> None:
    assert clean_page_chrome("见[这里](javascript:void(0);)说明。\n") == "见这里说明。\n"


def test_is_chrome_line_does_not_flag_body_lines() -> None:
    for line in (
        "1. 背景",
        "a. 市场",
        "大模型需要好銷售",
        "撰文 | 吳坤諺",
        "作者：顾青云；编辑：沈菲菲",
    ):
        assert not is_chrome_line(line), line


def test_parse_seed() -> None:
    meta, body = parse_seed("---\ntitle: T\ndate: 2025-02-02\n---\n\n# T\n")
    assert meta["title"] == "T" and str(meta["date"]) == "2025-02-02"
    assert body == "\n# T\n"
    assert parse_seed("no header\n") == ({}, "no header\n")


# --- real seeds -------------------------------------------------------------------------------

SURVIVORS = {
    "000_900b1b62150434dd.txt": [
        "1. 背景",
        "1）A项目，客户需求蔓延，同时竞争对手介入提供了更多承诺，最终放弃；",
        "年初被梦幻开局冲破了头，定下了1个亿的业务目标，截至11月底，完成额只有小百万。"
        "落差之大，不得不令人反思。",
        "c. 有明确需求，可立项、可共研共创的占\u00a020%\\*20%",  # NBSP kept
        "a. 2B产品只有持久战，没有速胜论",
        "2024，又是收获满满的一年。",
    ],
    "001_41b052798e439420.txt": [
        "撰文 | 吳坤諺",
        "大模型需要好銷售",
        "定制化項目在固定時限內的交付,將模型服務高大上的“皇帝的新衣”無情扯下,空留一個期貨般的內核。",
        "從上述案例中我們不難看到,首當其衝的難關在於定制化。",
    ],
    "002_6814cd498f1b3a3a.txt": [
        "### 大模型时代的商业变革",
        "#### 案例二：智能数据分析平台",
        "在B端市场，企业开始意识到大模型技术能够为其业务带来显著的价值，因此逐渐加大了在人工智能领域的投资。"
        "B端大模型商业模式的特点是高度定制化、长周期、高投入。",
        "文章标题：《B端还是C端:大模型商业模式的选择》",
    ],
    "003_bd474f22375b98d3.txt": [
        "# 2B已死｜大模型时代需要的还是「产品经理」",
        "**02 历史仿佛在重现**",
        "- **无法实现100%的精度：**",
        "我觉得这个答案就是2C。因为2c的行业完全不需要精准度的过高要求，客户来这里也是找辅助工具，容错率较高。"
        "而2c的核心最重要的产品设计能力和玩法，其实就是互联网能力。",
    ],
    "004_ef9632837e9b6714.txt": [
        "# 大模型“淘金”的创业者，阵痛比红利来的还早？",
        "## 三、创业者“无法承受之痛”",
        "根据北京市经信局公布的数据，截止到2023年10月初，国内公开的AI大模型数量已经达到238个。",
        "To B渐渐成了行业内心照不宣的选项。",
        "作者：顾青云；编辑：沈菲菲",
    ],
}


def seed_bodies() -> list[tuple[str, str]]:
    return [
        (p.name, parse_seed(p.read_text(encoding="utf-8"))[1]) for p in sorted(SEEDS.glob("*.txt"))
    ]


@needs_seeds
@pytest.mark.parametrize("seed_name", sorted(SURVIVORS))
def test_body_lines_survive_byte_for_byte(seed_name: str) -> None:
    raw = (SEEDS / seed_name).read_text(encoding="utf-8")
    cleaned = clean_page_chrome(parse_seed(raw)[1]).split("\n")
    for line in SURVIVORS[seed_name]:
        assert line in raw.split("\n"), f"test sentence not in seed: {line}"
        assert line in cleaned, f"{seed_name}: lost {line}"


@needs_seeds
def test_chrome_is_gone_from_seeds() -> None:
    for name, body in seed_bodies():
        cleaned = clean_page_chrome(body)
        for marker in ("微信扫一扫", "预览时标签不可点", "{% hint", "javascript:void", "![", "赞赏",
                       "分享到微博", "欢迎扫码关注", "地址:http", "qidianla"):  # fmt: skip
            assert marker not in cleaned, f"{name}: {marker} left"
        headings = [ln for ln in cleaned.split("\n") if ln.startswith("# ")]
        assert len(headings) <= 1, f"{name}: title duplicated"


@needs_seeds
def test_cleaner_is_idempotent_on_seeds() -> None:
    for name, body in seed_bodies():
        once = clean_page_chrome(body)
        assert clean_page_chrome(once) == once, name


@needs_seeds
def test_import_is_deterministic_and_matches_committed_articles(tmp_path: Path) -> None:
    first = import_seeds(SEEDS, tmp_path / "a")
    second = import_seeds(SEEDS, tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
        committed = ARTICLES / a.name
        assert committed.is_file(), f"{a.name} not committed; run python -m tools.curate.import_seeds"
        assert committed.read_bytes() == a.read_bytes(), f"{a.name} is stale; re-run the import"


@needs_seeds
def test_article_bodies_are_line_subsequences_of_seeds() -> None:
    for path in article_paths():
        meta, body = split(path)
        seed_lines = (SEEDS / meta["seed"]).read_text(encoding="utf-8").split("\n")
        pos = 0
        for line in body.split("\n"):
            if not line.strip():
                continue
            assert line in seed_lines, f"{path.name}: line not verbatim in seed: {line[:60]}"
            pos = seed_lines.index(line, pos) + 1  # raises ValueError if out of order


# --- committed corpus -------------------------------------------------------------------------


def test_articles_front_matter() -> None:
    paths = article_paths()
    assert {p.stem for p in paths} >= set(EXPECTED_IDS.values())
    for path in paths:
        meta, body = split(path)
        assert set(meta) == ARTICLE_FIELDS, path.name
        assert meta["id"] == path.stem
        assert meta["doc_type"] == "article"
        assert meta["language"] in {"zh-Hans", "zh-Hant"}
        assert isinstance(meta["tags"], list)
        assert meta["title"] and isinstance(meta["title"], str)
        for key in ("published", "fetched"):
            assert meta[key] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta[key]))
        assert meta["url"] is None or str(meta["url"]).startswith("http")
        assert EXPECTED_IDS.get(meta["seed"], meta["id"]) == meta["id"]
        assert meta["seed"] in SEED_METADATA
        assert body.strip()
        assert clean_page_chrome(body.lstrip("\n")) == body.lstrip("\n"), f"{path.name} not clean"


def test_article_specific_metadata() -> None:
    metas = {p.stem: split(p)[0] for p in article_paths()}
    assert metas["llm-failed-trial-period"]["language"] == "zh-Hant"
    assert metas["llm-gold-rush-startups"]["tags"] == ["OpenAI", "创业", "垂直大模型", "生成式AI"]
    assert metas["2b-is-dead-pm"]["published"] == "2024-08-12"
    assert metas["b-or-c-llm-business-model"]["url"] is None


def test_postmortems_front_matter_and_sections() -> None:
    paths = postmortem_paths()
    assert {p.stem for p in paths} >= {
        "pm-scope-creep-trial",
        "pm-exclusivity-clause-stall",
        "pm-customer-not-ready",
    }
    industries = set()
    for path in paths:
        meta, body = split(path)
        assert set(meta) == POSTMORTEM_FIELDS, path.name
        assert meta["id"] == path.stem
        assert meta["doc_type"] == "postmortem"
        assert meta["language"] == "zh-Hans"
        assert meta["sample"] is True
        assert str(meta["title"]).endswith("（示例）")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta["date"]))
        assert isinstance(meta["tags"], list)
        industries.add(meta["industry"])
        sections = re.findall(r"^## (.+)$", body, re.M)
        assert sections == PM_SECTIONS, path.name
        han = len(re.findall(r"[\u4e00-\u9fff]", body))
        assert 400 <= han <= 700, f"{path.name}: {han} Chinese characters"
    assert len(industries) == len(paths)


def test_postmortem_template_parses() -> None:
    meta, body = split(POSTMORTEMS / "TEMPLATE.md")
    assert set(meta) == POSTMORTEM_FIELDS
    assert re.findall(r"^## (.+)$", body, re.M) == PM_SECTIONS
