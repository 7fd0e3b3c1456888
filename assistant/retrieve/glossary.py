"""Cross-lingual query expansion from a curated English → Chinese domain glossary, and the Chinese
words users type for what the sources call otherwise (synonyms.tsv beside it: 甲方 → 客户)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.text import CJK, EN_STOP, chinese_question, normalize


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A glossary phrase as a pattern that also matches its inflected and hyphenated forms.

    Words may be joined by spaces or hyphens ("business model" matches "business-model",
    "domain-knowledge" matches "domain knowledge"), and each English word of three or more
    letters matches its regular inflections: plural and third person (-s, -es, -ies), past
    (-ed, -d, -ied) and -ing, with a final "e" or "y" dropped where English drops it
    (vendor → vendors, poach → poaching, price → priced, company → companies). A two-letter entry
    is an acronym and matches its plural (PM → PMs: the round-18 trial's "what did we conclude PMs
    should do" matched nothing and was refused as "The sources do not mention PMs.").
    """
    words = [w for w in re.split(r"[\s-]+", phrase.strip().lower()) if w]
    if len(words) == 1 and len(words[0]) == 2 and words[0].isalpha():
        return re.compile(rf"(?<!\w){re.escape(words[0])}s?(?!\w)", re.I)
    body = r"[\s-]+".join(_inflected(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.I)


def _inflected(word: str) -> str:
    if not (word.isalpha() and word.isascii() and len(word) >= 3):
        return re.escape(word)
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|ing)"
    if word.endswith("y") and word[-2] not in "aeiou":
        return re.escape(word[:-1]) + "(?:y|ies|ied|ying)"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return re.escape(word) + "(?:es|ed|ing)?"
    return re.escape(word) + "(?:s|ed|ing)?"


# Dates and durations an English question writes in words, as the Chinese sources write them
# (round 9): "by November" → 11月, "a 3-year exclusivity" → 3年, "12 weeks late" → 12周. Without
# them such a word was a name the corpus lacks ("The sources do not mention November.").
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
MONTH = re.compile(r"(?<=\S)(\s+)(" + "|".join(MONTHS) + r")\b")  # capitalised, not opening the question ("May I …")
# Counts of people too (round 10: "a 5-person team" was refused as a name the corpus lacks; the
# sources write 5 个人, 9 人).
QUANTITY = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[\s-]*(year|month|week|day|hour|person|people)s?(?!\w)", re.I)
UNIT = {"year": ("年",), "month": ("个月",), "week": ("周",), "day": ("天",), "hour": ("小时",),
        "person": ("人", "个人", "名"), "people": ("人", "个人", "名")}


def date_terms(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, Chinese forms) of each month name, and each duration or count of people written
    as a number with its unit, in English text."""
    found: list[tuple[int, int, tuple[str, ...]]] = [
        (m.start(2), m.end(2), (f"{MONTHS.index(m.group(2)) + 1}月",)) for m in MONTH.finditer(text)]
    found += [(m.start(), m.end(), tuple(f"{m.group(1)}{unit}" for unit in UNIT[m.group(2).lower()]))
              for m in QUANTITY.finditer(text)]
    return found


SYNONYMS_FILE = "synonyms.tsv"  # beside the glossary: word<TAB>term|term, one Chinese word a line


def _read_rows(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """The (phrase, terms) rows of a TSV file (phrase<TAB>term|term; # comments); [] for no file."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        phrase, terms = line.split("\t", 1)
        # The phrase keeps the file's case for english() ("鲜达超市 = Xianda Supermarket"); matching ignores it.
        rows.append((phrase.strip(), tuple(t.strip() for t in terms.split("|") if t.strip())))
    return rows


@dataclass(frozen=True)
class Glossary:
    """Phrase → Chinese terms; longest phrases match first so "trial period" beats "trial"."""

    entries: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()
    # (phrase, terms) in file order: what english() reads backwards.
    rows: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # A Chinese word users type (folded) → the words the sources use for it, from synonyms.tsv.
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read a TSV glossary and the synonyms file beside it; a missing file means no expansion."""
        rows = _read_rows(path)
        ordered = tuple(rows)
        rows.sort(key=lambda row: -len(row[0]))
        synonyms = tuple((normalize(word), terms) for word, terms in _read_rows(path.with_name(SYNONYMS_FILE)))
        return cls(tuple((phrase_pattern(p), t) for p, t in rows), ordered, synonyms)

    @functools.cached_property
    def _synonym_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.synonyms)

    def synonyms_of(self, folded: str) -> tuple[str, ...]:
        """The sources' words for a (folded) Chinese word users type: 甲方 → 客户; () for none."""
        return self._synonym_map.get(folded, ())

    def english(self, term: str) -> str | None:
        """The English phrase for a Chinese term, read backwards: the first phrase (in file order)
        that lists it first ("non-compete" for 排他条款), else the first that lists it at all; None
        when no phrase lists it. Glosses a term an English answer's quotes use."""
        listing = [(terms[0] != term, i, phrase) for i, (phrase, terms) in enumerate(self.rows) if term in terms]
        return min(listing)[2] if listing else None

    @functools.cached_property
    def folded_terms(self) -> dict[str, str]:
        """Every Chinese term of the glossary, once, in file order, with its folded form
        (text.normalize: simplified, lower case), computed once."""
        terms = dict.fromkeys(t for _, terms in self.rows for t in terms if CJK.search(t))
        return {t: normalize(t) for t in terms}

    def expand(self, question: str) -> str:
        """The question plus Chinese terms for its English phrases; Chinese questions pass as-is."""
        terms = list(dict.fromkeys(t for _, _, chinese in self._matches(question) for t in chinese))
        return f"{question} {' '.join(terms)}" if terms else question

    def translations(self, question: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, Chinese terms) of each English phrase of the question, in question order."""
        return sorted(self._matches(question))

    def uncovered_words(self, question: str) -> list[str]:
        """The English content words no glossary phrase covers, in question order (none for a
        question with Chinese in it): what the dictionary is asked about."""
        if chinese_question(question):
            return []
        text = list(question)
        for start, end, _ in self._matches(question):
            text[start:end] = " " * (end - start)
        words = (w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]*", "".join(text)))
        return list(dict.fromkeys(w for w in words if len(w) >= 3 and w not in EN_STOP))

    def _matches(self, question: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """Each phrase match, longest phrases first; a matched span is blanked so a shorter
        phrase inside it ("trial" in "trial period") does not match again."""
        if chinese_question(question):
            return []
        remaining, found = question, list[tuple[int, int, tuple[str, ...]]]()
        for pattern, chinese in self.entries:
            for match in pattern.finditer(remaining):
                found.append((match.start(), match.end(), chinese))
            remaining = pattern.sub(lambda m: " " * len(m.group()), remaining)
        return found + date_terms(remaining)
