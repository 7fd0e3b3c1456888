"""Adding and removing corpus files safely: only inside the corpus, never overwriting, nothing lost.

A new file is written under a hidden staging folder (skipped by discover()), read back with the
same loader ingest uses, and only then linked into place; a file that cannot be read is refused
with the loader's reason and leaves nothing behind. A removed file is moved to a trash folder,
not deleted.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Literal

from ingest.doc_questions import QUESTIONS_DIR
from ingest.errors import LoadError
from ingest.loaders import SUFFIXES, read_file

STAGING = ".incoming"
UPLOAD_SUFFIXES = (".md", ".txt", ".html", ".pdf", ".docx")
UploadType = Literal["article", "postmortem", "document"]  # an enum in the upload form's schema
FOLDER_BY_TYPE: dict[str, str] = {"article": "articles", "postmortem": "postmortems", "document": "uploads"}
SAFE_STEM = re.compile(r"[^\w.-]+", re.UNICODE)


class CorpusWriteError(ValueError):
    """A write refused before anything changed; the message says why (and what to do)."""


class AlreadyExists(CorpusWriteError):
    pass


class TooLarge(CorpusWriteError):
    pass


class UnsupportedType(CorpusWriteError):
    """A file of a kind the corpus does not read (by its suffix)."""


def inside(corpus_dir: Path, relpath: str) -> Path:
    """corpus_dir/relpath resolved; CorpusWriteError when it would land outside the corpus."""
    root = corpus_dir.resolve()
    target = (root / relpath).resolve()
    if target == root or root not in target.parents:
        raise CorpusWriteError(f"{relpath!r} is outside the corpus directory")
    return target


def safe_filename(name: str) -> str:
    """A file name without directories or odd characters; keeps CJK letters and the suffix."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in UPLOAD_SUFFIXES:
        raise UnsupportedType(f"{base or name!r}: only {', '.join(UPLOAD_SUFFIXES)} files can be added")
    stem = SAFE_STEM.sub("-", stem).strip("-.")[:80]
    if not stem:
        raise CorpusWriteError(f"{base!r}: the file name has no usable characters")
    return f"{stem}.{suffix.lower()}"


def add_file(corpus_dir: Path, relpath: str, data: bytes, max_bytes: int) -> str:
    """Write data as corpus_dir/relpath after checking it loads; returns relpath."""
    if len(data) > max_bytes:
        raise TooLarge(f"file is {len(data)} bytes, which exceeds the limit of {max_bytes}")
    target = inside(corpus_dir, relpath)
    if target.suffix.lower() not in SUFFIXES:
        raise UnsupportedType(f"{target.name}: not a type the corpus reads")
    if target.exists():
        raise AlreadyExists(f"{relpath} already exists; delete it first or choose another name")
    staging = corpus_dir / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    temp = staging / f"{uuid.uuid4().hex}{target.suffix.lower()}"
    temp.write_bytes(data)
    try:
        read_file(temp, max_bytes)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(temp, target)  # fails if the name appeared meanwhile: never overwrites
    except LoadError as exc:
        raise CorpusWriteError(f"{target.name}: {exc}") from exc
    except FileExistsError as exc:
        raise AlreadyExists(f"{relpath} already exists; delete it first or choose another name") from exc
    finally:
        temp.unlink(missing_ok=True)
    return relpath


def move_to_trash(corpus_dir: Path, relpath: str, trash_dir: Path) -> Path:
    """Move corpus_dir/relpath into trash_dir/<timestamp>/relpath; returns where it went."""
    source = inside(corpus_dir, relpath)
    hidden = any(part.startswith(".") for part in source.relative_to(corpus_dir.resolve()).parts)
    if not source.is_file() or hidden or source.suffix.lower() not in SUFFIXES:
        raise CorpusWriteError(f"{relpath} is not a document of the corpus")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:4]
    destination = trash_dir / stamp / relpath
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, destination)
    # Its curated questions go with it (and come back with it): left behind, every later ingest
    # would report them as questions of a document that is gone.
    questions = corpus_dir / QUESTIONS_DIR / f"{source.stem}.jsonl"
    if questions.is_file() and not questions.is_symlink():
        (trash_dir / stamp / QUESTIONS_DIR).mkdir(parents=True, exist_ok=True)
        shutil.move(questions, trash_dir / stamp / QUESTIONS_DIR / questions.name)
    return destination
