"""Import scraped seed articles into ``corpus/articles/<id>.md`` with YAML front-matter.

Usage: ``python -m tools.curate.import_seeds SEEDS_DIR [OUT_DIR]``
(OUT_DIR defaults to ``corpus/articles``; the seeds live outside the repository, so their
directory is always named by the caller).

Each seed is split into an optional ``---`` header and a body, the body goes through
``tools.curate.clean.clean_page_chrome`` (which only deletes chrome lines), and the file is written
with the front-matter fields listed in ``FIELDS``. Provenance for seeds without a header was
recovered by hand from the seed text itself and lives in ``SEED_METADATA``; unknown fields are
null, never guessed. Any url given there must occur verbatim in the seed. Output is
deterministic: running the import twice produces identical files.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import yaml

from tools.curate.clean import clean_page_chrome, parse_seed

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = REPO_ROOT / "corpus" / "articles"

FIELDS = (
    "id",
    "title",
    "author",
    "source",
    "url",
    "published",
    "language",
    "doc_type",
    "tags",
    "seed",
    "fetched",
)

# Per-seed provenance, keyed by seed filename. Values here override the seed's own header.
SEED_METADATA: dict[str, dict[str, Any]] = {
    # Header gives title/url/source/date/fetch_date; the author line under the title and the
    # account name are both 白日放歌须纵9.
    "000_900b1b62150434dd.txt": {
        "id": "tob-llm-practice-2025",
        "author": "白日放歌须纵9",
        "language": "zh-Hans",
        "tags": [],
    },
    # Traditional script. Tail: 原文標題 / 標題 / 地址 (utechfun.com repost). Byline
    # 撰文 | 吳坤諺; the piece reports for 光子星球 ("李浩告訴光子星球"). No date in the text.
    "001_41b052798e439420.txt": {
        "id": "llm-failed-trial-period",
        "title": "大模型沒過“試用期”",
        "author": "吳坤諺",
        "source": "光子星球（转载于 utechfun.com）",
        "url": "https://www.utechfun.com/post/361840.html",
        "published": None,
        "language": "zh-Hant",
        "tags": [],
    },
    # Tail section 作者信息: 作者 / 文章标题 / 文章关键词. No site, url or date in the text.
    "002_6814cd498f1b3a3a.txt": {
        "id": "b-or-c-llm-business-model",
        "title": "B端还是C端:大模型商业模式的选择",
        "author": "AI天才研究院/AI Genius Institute & 禅与计算机程序设计艺术 "
        "/Zen And The Art of Computer Programming",
        "source": None,
        "url": None,
        "published": None,
        "language": "zh-Hans",
        "tags": [
            "大模型",
            "商业模式",
            "B端",
            "C端",
            "应用场景",
            "技术创新",
            "案例分析",
            "持续创新",
            "可持续发展",
        ],
    },
    # Header lines: 原创 法兰克陈 / [弗兰克的AI日记] / 2024年08月12日 19:00 中国香港. No url.
    "003_bd474f22375b98d3.txt": {
        "id": "2b-is-dead-pm",
        "title": "2B已死｜大模型时代需要的还是「产品经理」",
        "author": "法兰克陈",
        "source": "弗兰克的AI日记",
        "url": None,
        "published": "2024-08-12",
        "language": "zh-Hans",
        "tags": [],
    },
    # woshipm hint block: Author Alter (the uploading account), Published 2023-10-18,
    # Original url, Tags. The article footer credits 作者：顾青云 and 来源公众号：Alter聊科技.
    "004_ef9632837e9b6714.txt": {
        "id": "llm-gold-rush-startups",
        "title": "大模型“淘金”的创业者，阵痛比红利来的还早？",
        "author": "顾青云",
        "source": "人人都是产品经理（来源公众号：Alter聊科技）",
        "url": "https://www.woshipm.com/chuangye/5922539.html",
        "published": "2023-10-18",
        "language": "zh-Hans",
        "tags": ["OpenAI", "创业", "垂直大模型", "生成式AI"],
    },
}


def _iso_date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return dt.date.fromisoformat(text[:10]).isoformat()


def build_metadata(seed_name: str, header: dict[str, Any], seed_text: str) -> dict[str, Any]:
    """Front-matter for one seed: header values, overridden by ``SEED_METADATA``."""
    if seed_name not in SEED_METADATA:
        raise KeyError(f"no metadata for seed {seed_name!r}; add it to SEED_METADATA")
    known = SEED_METADATA[seed_name]
    meta: dict[str, Any] = {
        "title": header.get("title"),
        "author": header.get("author"),
        "source": header.get("source"),
        "url": header.get("url"),
        "published": header.get("date") or header.get("published"),
        "fetched": header.get("fetch_date") or header.get("fetched"),
    }
    meta.update(known)
    meta["published"] = _iso_date(meta.get("published"))
    meta["fetched"] = _iso_date(meta.get("fetched"))
    meta["doc_type"] = "article"
    meta["seed"] = seed_name
    meta["tags"] = list(meta.get("tags") or [])
    if meta.get("url") and str(meta["url"]) not in seed_text:
        raise ValueError(f"{seed_name}: url {meta['url']!r} does not occur in the seed")
    if not meta.get("title") or not meta.get("id"):
        raise ValueError(f"{seed_name}: id and title are required")
    return {key: meta.get(key) for key in FIELDS}


def render_article(meta: dict[str, Any], body: str) -> str:
    front = yaml.safe_dump(
        meta, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10_000
    )
    return f"---\n{front}---\n\n{body}"


def import_seeds(seeds_dir: Path, out_dir: Path) -> list[Path]:
    """Write one article per seed; return the written paths."""
    seeds = sorted(seeds_dir.glob("*.txt"))
    if not seeds:
        raise FileNotFoundError(f"no seed .txt files in {seeds_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for seed in seeds:
        text = seed.read_text(encoding="utf-8")
        header, body = parse_seed(text)
        meta = build_metadata(seed.name, header, text)
        path = out_dir / f"{meta['id']}.md"
        path.write_text(render_article(meta, clean_page_chrome(body)), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    seeds_dir = Path(args[0])
    out_dir = Path(args[1]) if len(args) > 1 else DEFAULT_OUT_DIR
    for path in import_seeds(seeds_dir, out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
