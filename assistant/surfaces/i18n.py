"""UI strings in Chinese and English, chosen by the browser's Accept-Language (Chinese by default).

The same table serves the templates and, embedded as JSON, the page scripts.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

STRINGS: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "html_lang": ("zh-CN", "en"),
    "skip": ("跳到提问框", "Skip to question"),
    "menu": ("对话与筛选", "Conversations and filters"),
    "new_chat": ("＋ 新对话", "＋ New chat"),
    "library": ("文档库", "Library"),
    "chat": ("对话", "Chat"),
    "signin_required": ("需要登录", "Sign-in required"),
    "signin": ("登录", "Sign in"),
    "history": ("历史对话", "Conversations"),
    "search_conversations": ("搜索对话…", "Search conversations…"),
    "no_conversations": ("还没有对话", "No conversations yet"),
    "no_matches": ("没有匹配的对话", "No matching conversations"),
    "untitled": ("（无标题）", "(untitled)"),
    "rename": ("重命名", "Rename"),
    "delete": ("删除", "Delete"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "confirm_delete_conversation": ("删除这个对话？", "Delete this conversation?"),
    "filters": ("筛选", "Filters"),
    "doc_type": ("类型", "Type"),
    "industry": ("行业", "Industry"),
    "phase": ("阶段", "Phase"),
    "outcome": ("结果", "Outcome"),
    "tags": ("标签", "Tags"),
    "more": ("更多", "More"),
    "fewer": ("收起", "Fewer"),
    "clear_filters": ("清除筛选", "Clear filters"),
    "filtered": ("筛选", "Filtered"),
    "feedback_export": ("反馈导出", "Feedback export"),
    "bad_only": ("仅差评", "Bad only"),
    "empty_title": ("向项目经验提问", "Ask the lessons learned"),
    "empty_hint": ("答案只引用资料原文，点击 [n] 查看出处。", "Answers quote the sources; click [n] to open one."),
    "examples": ("可以这样问", "Try asking"),
    "question": ("问题", "Question"),
    "placeholder": ("输入问题…", "Ask a question…"),
    "send": ("发送", "Send"),
    "stop": ("停止", "Stop"),
    "composer_hint": ("Enter 发送 · Shift+Enter 换行 · Esc 停止", "Enter sends · Shift+Enter new line · Esc stops"),
    "close": ("关闭", "Close"),
    "document_text": ("原文", "Document text"),
    "sources": ("来源", "Sources"),
    "source": ("来源", "Source"),
    "copy": ("复制回答", "Copy answer"),
    "copied": ("已复制", "Copied"),
    "abstained": ("未找到依据", "No supporting sources"),
    "related": ("可能相关的资料（未必回答了这个问题）", "Possibly related (these may not answer it)"),
    "related_other": ("其他谈到这个话题的资料（上文未引用，未必回答了这个问题）", "Other sources on this, not quoted above (they may not answer it)"),
    "unsupported": ("来源不足以支持这句话", "Not supported by its sources"),
    "stopped": ("已停止", "Stopped"),
    "error": ("出错了", "Error"),
    "stream_ended": ("连接中断", "The answer stream ended early"),
    "loading": ("加载中…", "Loading…"),
    "load_failed": ("无法加载来源", "Could not load the source"),
    "open_original": ("原文 ↗", "Original ↗"),
    "open_page": ("单独打开", "Open as page"),
    "index_unavailable": ("索引不可用", "Index unavailable"),
    "helpful": ("有用", "Helpful"),
    "not_helpful": ("没用", "Not helpful"),
    "comment": ("补充说明（可选）", "Comment (optional)"),
    "send_feedback": ("提交反馈", "Send feedback"),
    "saved_thanks": ("已记录，谢谢", "Saved — thank you"),
    "not_saved": ("未能保存", "Not saved"),
    "type_article": ("文章", "Article"),
    "type_postmortem": ("复盘", "Postmortem"),
    "type_document": ("文档", "Document"),
    # Library page.
    "library_title": ("文档库", "Document library"),
    "library_intro": ("语料中的全部文档；新增或删除后会在后台增量入库，完成后即可检索。",
                      "Every document in the corpus; additions and deletions are ingested in the background and become searchable when done."),
    "read_only": ("只读：服务器未设置管理员令牌（HINDSIGHT_ADMIN_TOKEN），不能添加或删除文档。",
                  "Read-only: the server has no admin token (HINDSIGHT_ADMIN_TOKEN), so documents cannot be added or deleted."),
    "admin_signin": ("管理员登录后可添加或删除文档", "Sign in as admin to add or delete documents"),
    "signout": ("退出登录", "Sign out"),
    "col_title": ("标题", "Title"),
    "col_type": ("类型", "Type"),
    "col_date": ("日期", "Date"),
    "col_tags": ("标签", "Tags"),
    "col_chunks": ("片段", "Chunks"),
    "col_status": ("状态", "Status"),
    "status_indexed": ("已入库", "Indexed"),
    "status_failed": ("失败", "Failed"),
    "status_pending": ("待入库", "Pending"),
    "status_removing": ("删除中", "Removing"),
    "upload_title": ("上传文档", "Upload a document"),
    "upload_hint": (".md .txt .html .pdf .docx，最大 {mb} MB", ".md .txt .html .pdf .docx, up to {mb} MB"),
    "file": ("文件", "File"),
    "upload": ("上传", "Upload"),
    "postmortem_title": ("写一篇复盘", "Write a postmortem"),
    "preview": ("预览", "Preview"),
    "save_postmortem": ("保存并入库", "Save and ingest"),
    "jobs": ("入库进度", "Ingest progress"),
    "job_queued": ("排队中", "Queued"),
    "job_running": ("入库中", "Ingesting"),
    "job_done": ("完成", "Done"),
    "job_failed": ("失败", "Failed"),
    "confirm_delete_document": ("删除这篇文档？文件会移到回收站（data/trash）。",
                                "Delete this document? Its file is moved to the trash (data/trash)."),
    "pm_id": ("ID（pm- 开头，小写字母、数字、连字符）", "ID (pm-, lowercase letters, digits, hyphens)"),
    "pm_title": ("标题", "Title"),
    "pm_project": ("项目（可用化名）", "Project (pseudonym ok)"),
    "pm_industry": ("行业", "Industry"),
    "pm_customer_segment": ("客户类型/规模", "Customer type/size"),
    "pm_phase": ("阶段", "Phase"),
    "pm_outcome": ("结果", "Outcome"),
    "pm_date": ("复盘日期", "Date"),
    "pm_tags": ("标签（逗号分隔）", "Tags (comma-separated)"),
    "pm_language": ("语言", "Language"),
    "pm_background": ("背景", "Background"),
    "pm_timeline": ("经过", "What happened"),
    "pm_root_cause": ("根因", "Root cause"),
    "pm_lessons": ("教训", "Lessons"),
    "pm_actions": ("行动项", "Action items"),
}


def pick_language(accept_language: str | None) -> Lang:
    """zh unless the browser prefers another language over Chinese (then English)."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag and tag != "*":
            return "en"
    return "zh"


def strings(lang: Lang) -> dict[str, str]:
    """Every UI string in lang."""
    column = 0 if lang == "zh" else 1
    return {key: pair[column] for key, pair in STRINGS.items()}
