"""Read corpus files (.md, .txt, .html, .pdf, .docx) into llama-index Documents, or say exactly why not."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import yaml

if TYPE_CHECKING:  # llama-index costs ~1 s to import; an unchanged re-ingest never needs it
    from llama_index.core.schema import Document  # lazy: ~1 s import, unchanged re-ingest skips it

from ingest.errors import LoadError
from ingest.html_text import html_to_text

TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm"}
BINARY_SUFFIXES = {".pdf", ".docx"}
SUFFIXES = TEXT_SUFFIXES | BINARY_SUFFIXES
# Documentation that lives beside the documents but is not knowledge.
SKIP_NAMES = {"readme.md", "template.md"}
DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
DOC_TYPE_BY_FOLDER = {"articles": "article", "postmortems": "postmortem"}
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FRONT_MATTER_CHARS = 64_000


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relpath: str
    content_hash: str


@dataclass
class Scan:
    """What discovery found: files to ingest, and entries refused with the reason (never silent)."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def discover(corpus_dir: Path) -> list[SourceFile]:
    """Corpus files in a stable order, each with the hash of its bytes."""
    return scan(corpus_dir).files


def scan(corpus_dir: Path) -> Scan:
    """Walk the corpus without following links out of it; every refusal is reported with a reason.

    A symlink is ingested only when it resolves to a regular file inside the corpus root;
    symlinked directories are never entered (no escapes, no loops). Hidden entries are reported.
    """
    root = corpus_dir.resolve()
    found = Scan()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if reason := _refused_dir(here / name):
                found.skipped.append({"path": _rel(here / name, root), "reason": reason})
                dirnames.remove(name)
        dirnames.sort()
        for name in sorted(filenames):
            _consider(here / name, root, found)
    found.files.sort(key=lambda f: f.relpath)
    found.skipped.sort(key=lambda s: s["path"])
    return found


def _refused_dir(path: Path) -> str | None:
    if path.name.startswith("."):
        return "hidden directory (name starts with '.') not read"
    if path.is_symlink():
        return "symlinked directory not followed (it could lead outside the corpus or loop)"
    return None


def _consider(path: Path, root: Path, found: Scan) -> None:
    rel = _rel(path, root)
    if path.name.startswith("."):
        found.skipped.append({"path": rel, "reason": "hidden file (name starts with '.') not read"})
        return
    if path.suffix.lower() not in SUFFIXES or path.name.lower() in SKIP_NAMES:
        return  # not a document type, or documentation beside the documents
    target, reason = _inside(path, root)
    if target is None:
        found.skipped.append({"path": rel, "reason": reason})
        return
    try:
        found.files.append(SourceFile(target, rel, _hash_file(target)))
    except OSError as exc:
        found.skipped.append({"path": rel, "reason": f"unreadable: {exc.strerror or exc}"})


def _inside(path: Path, root: Path) -> tuple[Path | None, str]:
    """(the real regular file inside root that path names, "") or (None, why it is refused)."""
    try:
        target = path.resolve(strict=True)
    except RuntimeError:
        return None, "symlink loop"
    except OSError as exc:
        if path.is_symlink():
            return None, "broken symlink" if not _loops(path) else "symlink loop"
        return None, f"unreadable: {exc.strerror or exc}"
    if not target.is_relative_to(root):
        return None, "symlink pointing outside the corpus; not read"
    if not target.is_file():
        return None, "not a regular file"
    return target, ""


def _loops(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with _open_no_follow(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open_no_follow(path: Path) -> BinaryIO:
    """Open a resolved path for reading, refusing it if it was swapped for a symlink meanwhile."""
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


def load_document(source: SourceFile, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Parse one file into a Document whose text is the verbatim body; raise LoadError if bad."""
    meta, body = read_file(source.path, max_bytes)
    metadata = _metadata(meta, source)
    from llama_index.core.schema import Document  # lazy: ~1 s import, unchanged re-ingest skips it

    return Document(id_=metadata["doc_id"], text=body, metadata=metadata)


def read_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[dict[str, Any], str]:
    """A file's metadata and text body, by type; LoadError with the reason when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix in BINARY_SUFFIXES:
        _check_size(path, max_bytes)
        # lazy: pypdf + python-docx cost ~0.5 s to import; most ingests read no PDF or Word file.
        from ingest.office_docs import read_docx, read_pdf

        return read_pdf(path) if suffix == ".pdf" else read_docx(path)
    text = _decode(_read_bytes(path, max_bytes))
    meta, body = html_to_text(text) if suffix in {".html", ".htm"} else split_front_matter(text)
    if not body.strip():
        raise LoadError("empty document (no text after front-matter)")
    return meta, body


def _check_size(path: Path, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(f"unreadable: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise LoadError(f"file too large ({size} bytes > {max_bytes})")


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        with _open_no_follow(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise LoadError(f"file too large ({size} bytes > {max_bytes})")
            raw = handle.read()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoadError("became a symlink after discovery; not read") from exc
        raise LoadError(f"unreadable: {exc.strerror or exc}") from exc
    if b"\x00" in raw[:8192]:
        raise LoadError("binary file (NUL bytes), not text")
    return raw


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 text (invalid byte at offset {exc.start})") from exc


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front-matter (if any) and the body after it."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    block = match.group(1)
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise LoadError(f"front-matter too long ({len(block)} characters > {MAX_FRONT_MATTER_CHARS})")
    try:
        # Aliases let a few lines expand exponentially ("billion laughs"); metadata never needs them.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(block, Loader=yaml.SafeLoader)):
            raise LoadError("front-matter uses YAML aliases (*name), which are not allowed")
        meta = yaml.safe_load(block) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"broken front-matter: {str(exc).splitlines()[0]}") from exc
    if not isinstance(meta, dict):
        raise LoadError("broken front-matter: expected key: value pairs")
    return meta, text[match.end() :]


def _metadata(meta: dict[str, Any], source: SourceFile) -> dict[str, Any]:
    doc_id = str(meta.get("id") or _slug(source.relpath))
    if not DOC_ID.match(doc_id):
        raise LoadError(f"invalid document id {doc_id!r} (letters, digits, . _ - only)")
    folder = source.relpath.split("/")[0] if "/" in source.relpath else ""
    clean = {str(k): _jsonable(v) for k, v in meta.items()}
    clean.update(
        doc_id=doc_id,
        title=str(meta.get("title") or Path(source.relpath).stem),
        doc_type=str(meta.get("doc_type") or DOC_TYPE_BY_FOLDER.get(folder, "document")),
        path=source.relpath,
        content_hash=source.content_hash,
    )
    clean.pop("id", None)
    return clean


def _slug(relpath: str) -> str:
    stem = relpath.rsplit(".", 1)[0]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")
    if not stem.isascii():  # "uploads/复盘.docx" and "uploads/周报.docx" must not share an id
        slug = f"{slug}-{hashlib.sha1(relpath.encode()).hexdigest()[:8]}".strip("-")
    return slug or "doc-" + hashlib.sha1(relpath.encode()).hexdigest()[:10]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
