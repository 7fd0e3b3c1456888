"""Decide, per corpus file, whether to reuse the previous build's rows or (re)load it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ingest.loaders import LoadError, SourceFile

if TYPE_CHECKING:  # annotations only: keep llama-index off the unchanged re-ingest path
    from llama_index.core.schema import Document

Status = Literal["new", "changed", "unchanged"]


@dataclass
class PreviousBuild:
    """A compatible earlier build whose rows may be reused."""

    path: Path
    manifest: dict[str, Any]

    @property
    def documents(self) -> dict[str, dict[str, Any]]:
        return self.manifest.get("documents", {})

    @cached_property
    def by_path(self) -> dict[str, str]:
        return {entry["path"]: doc_id for doc_id, entry in self.documents.items()}

    def same_sources(self, sources: list[SourceFile]) -> bool:
        """True when every file, indexed or failed, is exactly as it was at that build."""
        seen = {e["path"]: e["hash"] for e in self.documents.values()}
        seen.update({p: f.get("hash") for p, f in self.manifest.get("failures", {}).items()})
        return seen == {s.relpath: s.content_hash for s in sources}


@dataclass
class ReadyDoc:
    doc_id: str
    status: Status
    source: SourceFile
    document: Document | None  # None: reuse the previous build's rows unchanged


@dataclass
class Plan:
    ready: list[ReadyDoc] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)


def plan_documents(
    sources: list[SourceFile],
    previous: PreviousBuild | None,
    load: Callable[[SourceFile], Document | LoadError],
) -> Plan:
    """Sort files into reused, (re)loaded and failed; a duplicate id fails the later file."""
    plan = Plan()
    owners: dict[str, str] = {}
    for source in sources:
        item = _reuse(source, previous) or _fresh(source, previous, load, plan)
        if item is None:
            continue
        if item.doc_id in owners:
            plan.failures.append(
                {"path": source.relpath, "reason": f"duplicate id {item.doc_id!r} (also {owners[item.doc_id]})"}
            )
            continue
        owners[item.doc_id] = source.relpath
        plan.ready.append(item)
    return plan


def _reuse(source: SourceFile, previous: PreviousBuild | None) -> ReadyDoc | None:
    if previous is None:
        return None
    doc_id = previous.by_path.get(source.relpath)
    if doc_id and previous.documents[doc_id]["hash"] == source.content_hash:
        return ReadyDoc(doc_id, "unchanged", source, None)
    return None


def _fresh(
    source: SourceFile,
    previous: PreviousBuild | None,
    load: Callable[[SourceFile], Document | LoadError],
    plan: Plan,
) -> ReadyDoc | None:
    loaded = load(source)
    if isinstance(loaded, LoadError):
        plan.failures.append({"path": source.relpath, "reason": str(loaded)})
        return None
    known = previous is not None and (
        loaded.doc_id in previous.documents or source.relpath in previous.by_path
    )
    return ReadyDoc(loaded.doc_id, "changed" if known else "new", source, loaded)
