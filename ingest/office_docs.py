"""PDF (pypdf) and Word .docx (python-docx) files → metadata + Markdown-style text, or a clear LoadError."""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError, PdfStreamError

from ingest.errors import LoadError

# pypdf logs every recoverable oddity of a real-world PDF; a broken one still raises below.
logging.getLogger("pypdf").setLevel(logging.ERROR)
HEADING_STYLE = re.compile(r"^(?:Heading|标题)\s*(\d)$", re.I)
BLANK_RUNS = re.compile(r"\n{3,}")


def read_pdf(path: Path) -> tuple[dict[str, Any], str]:
    """A PDF's text (pages separated by blank lines) and its title/author/date."""
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF (password-protected): save an unprotected copy and add that")
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Any = reader.metadata or {}
    except FileNotDecryptedError as exc:
        raise LoadError("encrypted PDF (password-protected): save an unprotected copy and add that") from exc
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"broken PDF, cannot be read: {exc}") from exc
    text = BLANK_RUNS.sub("\n\n", "\n\n".join(p.strip() for p in pages)).strip()
    if not text:
        raise LoadError("PDF has no text layer (a scanned image?): run OCR on it first")
    return _pdf_metadata(info), text + "\n"


def _pdf_metadata(info: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, field in (("/Title", "title"), ("/Author", "author")):
        value = str(info.get(key) or "").strip()
        if value:
            meta[field] = value
    created = _pdf_date(str(info.get("/CreationDate") or ""))
    if created:
        meta["date"] = created
    return meta


def _pdf_date(raw: str) -> str | None:
    """"D:20240131…" → "2024-01-31"; None when absent or malformed."""
    match = re.match(r"^D:(\d{4})(\d{2})(\d{2})", raw)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None


def read_docx(path: Path) -> tuple[dict[str, Any], str]:
    """A Word document's paragraphs (headings as #, list items as -) and tables, with its properties."""
    if not zipfile.is_zipfile(path):
        raise LoadError("not a .docx file (encrypted, or an old .doc?): save it as .docx without a password")
    try:
        document = docx.Document(str(path))
        body = _docx_text(document)
        meta = _docx_metadata(document)
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise LoadError(f"broken Word file, cannot be read: {exc}") from exc
    if not body.strip():
        raise LoadError("Word file has no text")
    return meta, body


def _docx_text(document: DocxDocument) -> str:
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = paragraph.style.name if paragraph.style is not None else ""
        heading = HEADING_STYLE.match(style or "")
        if heading or style == "Title":
            level = int(heading.group(1)) + 1 if heading else 1  # the Title style is the h1
            lines.append("#" * min(level, 6) + " " + text)
        elif style and "List" in style:
            lines.append("- " + text)
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n\n".join(lines) + "\n"


def _docx_metadata(document: DocxDocument) -> dict[str, Any]:
    props = document.core_properties
    meta: dict[str, Any] = {}
    if (props.title or "").strip():
        meta["title"] = props.title.strip()
    if (props.author or "").strip():
        meta["author"] = props.author.strip()
    if props.created:
        meta["date"] = props.created.date().isoformat()
    return meta
