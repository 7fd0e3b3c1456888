"""Strip web-page chrome from scraped articles without touching the article text.

Scraped pages (WeChat 公众号 posts, woshipm.com, reposting sites) carry UI strings, share
widgets, QR codes, ads and footers around the article. They pollute retrieval: every WeChat
page would match "微信扫一扫", every woshipm page would match its copyright footer. The
cleaner therefore *only deletes whole lines* (and trims blank-line runs); it never rewrites,
translates, converts 繁/简 or re-punctuates a kept line, so every cited sentence can be found
verbatim in the source. The one in-line edit is unwrapping a ``javascript:void(0)`` link to its
text (a dead link is not content).

Rules, and why each exists:

- ``CHROME_LINES`` - exact UI strings that appear as whole lines:
  WeChat buttons and dialogs (微信扫一扫, 关注该公众号, 轻触阅读原文, 继续/向上滑动看下一个,
  知道了, 使用小程序, 取消/允许, ×, 分析, the bottom bar 视频/小程序/赞/在看/分享/留言/收藏/听过),
  the "预览时标签不可点" tag-bar hint, WeChat's 创作声明 badge "个人观点，仅供参考", the
  profile-card label "公众号", and woshipm's action bar (赞赏 收藏已收藏 点赞已赞, 分享).
- ``CHROME_PATTERNS`` - whole-line regexes for chrome that varies a little:
  the 原创 badge (optionally followed by the author), WeChat's date/IP-location line,
  "N篇原创内容" on profile cards, the like/在看 toggles, "微信扫一扫可打开此内容", woshipm's
  stats line / lone date / author-with-关注 line / tag-link row / 分享到微博 link / course ads
  (🔗 links, 查看详情) / copyright and 题图 footers, repost footers (原文標題/標題/地址: the
  provenance they carry goes into front-matter instead), lines that are only images or image
  placeholders (``![..](..)``, ``![]()``, linked images), lines that are only
  ``javascript:void(0)`` links, runs of lone punctuation (the remains of WeChat's comment
  widget), and empty list bullets.
- ``HINT_BLOCK`` - the ``{% hint %}...{% endhint %}`` block a woshipm exporter prepends
  (Category/Author/Published/Stats/Tags/Original). Provenance is recorded in front-matter by
  ``tools.curate.import_seeds``; the block itself is not article text.
- ad cards - a multi-line Markdown link that starts with ``[![](img)`` and closes with
  ``](url)`` some lines later (woshipm's inline course advert).
- duplicated author lines - WeChat prints the author and the account name as two identical
  short lines under the title; both go, and later lone lines repeating that name (the
  profile card at the bottom) go too.
- repeated title / lead summary - the title heading repeated (page header plus article
  header, possibly at another level), and a summary blockquote repeated within the first
  ``LEAD_LINES`` lines (exporter excerpt plus page excerpt): the first copy is kept. Other
  repeated headings (e.g. "一、应用场景" in two chapters) are content and stay.
- trailing promo block - a closing "欢迎扫码关注" account card: cut from the last
  horizontal rule before it (or from the marker itself) to the end, if the block is short.
- horizontal rules - consecutive rules (decorative WeChat dividers) collapse to one, and
  rules dangling at the start or end of the text are dropped.
- blank lines - whitespace-only lines count as blank; runs collapse to one blank line and
  leading/trailing blanks go (this also removes leading whitespace-only junk).

Markdown headings, lists, bold and ordinary links in body text are kept as they are.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

CHROME_LINES: frozenset[str] = frozenset(
    {
        # WeChat article page UI
        "微信扫一扫",
        "关注该公众号",
        "预览时标签不可点",
        "轻触阅读原文",
        "阅读原文",
        "继续滑动看下一个",
        "向上滑动看下一个",
        "知道了",
        "使用小程序",
        "使用完整服务",
        "取消",
        "允许",
        "×",
        "分析",
        "视频",
        "小程序",
        "赞",
        "在看",
        "分享",
        "留言",
        "写留言",
        "收藏",
        "听过",
        "个人观点，仅供参考",
        "公众号",
        # woshipm action bar
        "赞赏 收藏已收藏 点赞已赞",
    }
)

_IMG = r"!\[[^\]\n]*\]\([^)\n]*\)"
_LINKED_IMG = r"\[" + _IMG + r"\]\([^)\n]*\)"

CHROME_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        # WeChat header/footer
        r"^原创(?:[ \t\u3000]+[^\s，。]{1,20})?$",  # 原创 badge, optionally with the author
        r"^\*?\d{4}年\d{1,2}月\d{1,2}日\s+\d{1,2}:\d{2}\*?(?:\s+\*?[^\s*]{1,12}\*?)?$",
        r"^\d+篇原创内容$",
        r"^[，,]?轻点两下取消(?:赞|在看)$",
        r"^微信扫一扫可打开此内容[，,]?$",
        # woshipm header/footer
        r"^\d+\s*评论\s+\d+\s*浏览\s+\d+\s*收藏(?:\s+\d+\s*分钟)?$",
        r"^\d{4}-\d{2}-\d{2}$",
        r"^\[[^\]\n]+\]\(https?://(?:www\.)?woshipm\.com/u/\d+\).*关注$",
        r"^(?:\[[^\]\n]+\]\(https?://[^)\s]*/tag/[^)\s]*\))+$",
        r"^\[分享到[^\]]*\]\([^)\n]*\)$",
        r"^\[🔗[^\]\n]*\]\([^)\n]*\)$",
        r"^\[[^\]\n]*\]\(https?://ke\.qidianla\.com/[^)\n]*\)$",
        r"^查看详情\s*>?$",
        r"^更多精彩内容，请关注.{0,60}$",
        r"^本文由\s*@.{0,40}授权发布于.{0,80}$",
        r"^题图来自.{0,60}$",
        r"^该文观点仅代表作者本人.{0,80}$",
        # reposting-site footer (provenance goes to front-matter)
        r"^原文[標标][題题]\s*[:：].{0,80}$",
        r"^[標标][題题]\s*[:：].{0,80}$",
        r"^地址\s*[:：]\s*https?://\S+$",
        # images, QR codes and placeholders (whole line is one or more images)
        r"^(?:(?:" + _LINKED_IMG + "|" + _IMG + r")\s*)+$",
        # dead javascript links standing alone
        r"^(?:\[[^\]\n]*\]\(javascript:void\(0\);?\)\s*)+$",
        # remains of the comment widget: lines of lone punctuation
        r"^[，。：；、,.:;！!？?·…]+$",
        # empty list bullet
        r"^[-*+]$",
    )
)

HINT_BLOCK = re.compile(r"^\{%\s*hint\b[^\n]*%\}\n.*?^\{%\s*endhint\s*%\}[ \t]*$\n?", re.M | re.S)
JS_VOID_LINK = re.compile(r"\[([^\]\n]*)\]\(javascript:void\(0\);?\)")
AD_CARD_OPEN = re.compile(r"^\[" + _IMG + r"\s*$")
AD_CARD_CLOSE = re.compile(r"^\]\(https?://[^)\s]+\)\s*$")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
HRULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
PROMO_MARKER = re.compile(r"欢迎扫码关注|长按(?:识别)?二维码|扫码关注")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)

AD_CARD_MAX_LINES = 12
LEAD_LINES = 40
PROMO_MAX_LINES = 12
AUTHOR_MAX_CHARS = 30
AUTHOR_SCAN_NONBLANK = 12
_SENTENCE_PUNCT = set("。，！？；：,!?;:")


def is_chrome_line(line: str) -> bool:
    """True if the whole line is page chrome according to the line rules."""
    s = line.strip()
    return s in CHROME_LINES or any(p.match(s) for p in CHROME_PATTERNS)


def _drop_ad_cards(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        if AD_CARD_OPEN.match(lines[i].strip()):
            end = next(
                (
                    j
                    for j in range(i + 1, min(len(lines), i + AD_CARD_MAX_LINES + 1))
                    if AD_CARD_CLOSE.match(lines[j].strip())
                ),
                None,
            )
            if end is not None:
                i = end + 1
                continue
        out.append(lines[i])
        i += 1
    return out


def _duplicated_authors(lines: list[str]) -> set[str]:
    """Short plain lines printed twice in a row near the top (WeChat author + account)."""
    nonblank = [s.strip() for s in lines if s.strip()][:AUTHOR_SCAN_NONBLANK]
    names: set[str] = set()
    for a, b in zip(nonblank, nonblank[1:], strict=False):
        if (
            a == b
            and len(a) <= AUTHOR_MAX_CHARS
            and a[0] not in "#>-*+[!|`{"
            and not _SENTENCE_PUNCT & set(a)
            and not is_chrome_line(a)
        ):
            names.add(a)
    return names


def _drop_repeated_lead(lines: list[str]) -> list[str]:
    """Keep the first copy of the title heading and of a summary blockquote near the top."""
    title: str | None = None
    seen: set[str] = set()
    out: list[str] = []
    for i, line in enumerate(lines):
        s = line.strip()
        m = HEADING.match(s)
        if m and title is None:
            title = m.group(2)
        elif m and m.group(2) == title:
            continue
        if i < LEAD_LINES and s.startswith(">"):
            if s in seen:
                continue
            seen.add(s)
        out.append(line)
    return out


def _cut_promo_tail(lines: list[str]) -> list[str]:
    idx = [i for i, line in enumerate(lines) if PROMO_MARKER.search(line)]
    if not idx:
        return lines
    marker = idx[-1]
    if sum(1 for line in lines[marker + 1 :] if line.strip()) > 3:
        return lines  # not a trailing block
    start = marker
    count = 0
    for j in range(marker - 1, -1, -1):
        s = lines[j].strip()
        if HRULE.match(s):
            start = j
            break
        if s:
            count += 1
            if count > PROMO_MAX_LINES:
                break
    return lines[:start]


def _tidy_rules_and_blanks(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        s = line.strip()
        if not s:
            if out and out[-1] != "":
                out.append("")
            continue
        if HRULE.match(s):
            prev = next((x for x in reversed(out) if x), None)
            if prev is None or HRULE.match(prev.strip()):
                continue
        out.append(line)
    while out and (out[-1] == "" or HRULE.match(out[-1].strip())):
        out.pop()
    return out


def clean_page_chrome(text: str) -> str:
    """Return ``text`` with page chrome lines removed; kept lines are byte-for-byte unchanged."""
    text = text.replace("\r\n", "\n")
    text = HINT_BLOCK.sub("", text)
    lines = _drop_ad_cards(text.split("\n"))
    authors = _duplicated_authors(lines)
    lines = [
        JS_VOID_LINK.sub(r"\1", line)
        for line in lines
        if not is_chrome_line(line) and line.strip() not in authors
    ]
    lines = _drop_repeated_lead(lines)
    lines = _cut_promo_tail(lines)
    lines = _tidy_rules_and_blanks(lines)
    return "\n".join(lines) + "\n" if lines else ""


def parse_seed(text: str) -> tuple[dict[str, Any], str]:
    """Split an optional ``---`` YAML front-matter header from a seed; ({}, text) if none."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise ValueError("seed front-matter is not a mapping")
    return {str(k): v for k, v in meta.items()}, text[match.end() :]
