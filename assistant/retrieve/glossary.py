"""Cross-lingual query expansion from a curated English → Chinese domain glossary."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.text import CJK


@dataclass(frozen=True)
class Glossary:
    """Phrase → Chinese terms; longest phrases match first so "trial period" beats "trial"."""

    entries: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read a TSV glossary; a missing file means no expansion."""
        if not path.is_file():
            return cls()
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#") or "\t" not in line:
                continue
            phrase, terms = line.split("\t", 1)
            rows.append((phrase.strip().lower(), tuple(t.strip() for t in terms.split("|") if t.strip())))
        rows.sort(key=lambda row: -len(row[0]))
        return cls(tuple((re.compile(rf"\b{re.escape(p)}\b", re.I), t) for p, t in rows))

    def expand(self, question: str) -> str:
        """The question plus Chinese terms for its English phrases; Chinese questions pass as-is."""
        if CJK.search(question) or not self.entries:
            return question
        remaining, terms = question, list[str]()
        for pattern, chinese in self.entries:
            if pattern.search(remaining):
                remaining = pattern.sub(" ", remaining)
                terms.extend(t for t in chinese if t not in terms)
        return f"{question} {' '.join(terms)}" if terms else question

    def translations(self, question: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, Chinese terms) of each English phrase of the question, longest first."""
        if CJK.search(question) or not self.entries:
            return []
        remaining, found = question, list[tuple[int, int, tuple[str, ...]]]()
        for pattern, chinese in self.entries:
            for match in pattern.finditer(remaining):
                found.append((match.start(), match.end(), chinese))
            remaining = pattern.sub(lambda m: " " * len(m.group()), remaining)
        return sorted(found)
