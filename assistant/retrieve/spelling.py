"""English words misspelled in a question, corrected to the glossary's words.

An English question reaches this Chinese corpus through the glossary (corpus/glossary.tsv): a
misspelled domain word translates to nothing. "What was the acurracy at acceptence for the
maintanence Q&A assistent?" was refused (round 22, a blind trial) while the same question spelled
right was answered with the 81% it asked for. A word is corrected only when it is no English word
(pyspellchecker's 160k-word list, the glossary's words and CC-CEDICT's glosses, in any inflection)
and exactly one glossary word is nearest to it, within one edit (two for a word of LONG letters or
more; a swap of two neighbours is one edit): a real word ("contact", "built", "typically") is left
as typed, whatever glossary word it resembles.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from spellchecker import SpellChecker

from assistant.retrieve.dictionary import Dictionary, base_forms
from assistant.retrieve.glossary import Glossary
from assistant.text import EN_STOP, chinese_question

MIN_LETTERS = 5  # shorter words have too many neighbours one letter away
REMEMBERED = 10_000  # words whose verdict is kept; past that the memory starts over (any input is a word)
LONG = 8  # acurracy → accuracy and maintanence → maintenance are two edits away
WORD = re.compile(r"(?<![A-Za-z])[a-z][a-z]+(?![A-Za-z])")  # lower case: a capitalised word may be a name


@dataclass
class Speller:
    """Corrects an English question's misspelled domain words; leaves any other question as it is."""

    glossary: Glossary
    dictionary: Dictionary | None = None
    _fixed: dict[str, str | None] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """The glossary's English words of MIN_LETTERS or more."""
        return frozenset(w for phrase, _ in self.glossary.rows for w in WORD.findall(phrase.lower())
                         if len(w) >= MIN_LETTERS)

    def correct(self, question: str) -> str:
        """The question with each misspelled word replaced by its glossary word."""
        if chinese_question(question):
            return question
        return WORD.sub(lambda m: self._word(m.group()) or m.group(), question)

    def _word(self, word: str) -> str | None:
        if word not in self._fixed:
            if len(self._fixed) >= REMEMBERED:
                self._fixed.clear()
            self._fixed[word] = None if self._known(word) else self._nearest(word)
        return self._fixed[word]

    def _nearest(self, word: str) -> str | None:
        """The one glossary word within reach of word's edits; None for none or a tie (so the set's
        order never decides)."""
        reach = 2 if len(word) >= LONG else 1
        near = [(d, w) for w in self.vocabulary if abs(len(w) - len(word)) <= reach
                and (d := edits(word, w)) <= reach]
        best = min((d for d, _ in near), default=None)
        found = [w for d, w in near if d == best]
        return found[0] if len(found) == 1 else None

    @functools.cached_property
    def english(self) -> SpellChecker:
        return SpellChecker()  # ~0.2 s to load: on the first English question with a word to check

    def _known(self, word: str) -> bool:
        if len(word) < MIN_LETTERS or word in EN_STOP:
            return True
        forms = set(base_forms(word))
        senses = self.dictionary.senses if self.dictionary is not None else {}
        return (bool(forms & self.vocabulary) or any(form in senses for form in forms)
                or bool(self.english.known([word])))


def edits(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb)))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
