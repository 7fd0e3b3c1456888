"""List the corpus's salient Chinese terms: the raw material for `corpus/glossary.tsv`.

The English → Chinese glossary should cover the vocabulary the *sources* use, not the words of
some question set. This lists candidate terms from the indexed documents themselves (what
`ingest` reads: README.md/TEMPLATE.md of the postmortem folder are not documents), ranked by
TF-IDF: term frequency in the corpus × jieba's general-language IDF (`jieba.analyse`'s table),
so a word this corpus uses far more than ordinary Chinese text ranks high ("私有化部署", "丢单",
"试用期") and everyday words ("我们", "时候") rank low however often they occur. Latin tokens of
the corpus (POC, SaaS, ISV) are listed too, with a fixed IDF.

A person reads the list, keeps the terms that carry meaning for the domain, and writes English
phrases for each into the glossary; the script writes nothing. Terms the glossary already has
are marked, so a re-run shows what is new.

    python -m tools.glossary_candidates                 # top 600, TSV on stdout
    python -m tools.glossary_candidates --top 0 --min-tf 2 --new-only
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.text import CJK, jieba_words, normalize, word_tag
from ingest.loaders import discover, load_document

LATIN_IDF = 10.0  # jieba's table has no entry for most Latin tokens; about its median IDF (11.95)
LATIN = re.compile(r"[a-z][a-z0-9]*(?:[.\-+][a-z0-9]+)*")


@dataclass(frozen=True)
class Candidate:
    term: str
    tf: int  # occurrences in the corpus
    df: int  # documents that have it
    idf: float  # general-language IDF (jieba.analyse)
    tag: str  # jieba dictionary part of speech, "" when jieba's dictionary lacks the word

    @property
    def score(self) -> float:
        return (1 + math.log(self.tf)) * self.idf * (1 + math.log(self.df))


def corpus_texts(corpus_dir: Path) -> list[str]:
    """Normalised title + text of each document ingest would index."""
    texts = []
    for source in discover(corpus_dir):
        doc = load_document(source)
        texts.append(normalize(f"{doc.metadata.get('title', '')}\n{doc.text}"))
    return texts


def candidates(texts: list[str], min_tf: int = 2) -> list[Candidate]:
    """Every jieba word (two or more characters, with a CJK character) or Latin token seen at least min_tf times."""
    import jieba.analyse

    idf_table, median = jieba.analyse.default_tfidf.idf_freq, jieba.analyse.default_tfidf.median_idf
    tf: Counter[str] = Counter()
    df: Counter[str] = Counter()
    for text in texts:
        words = [w for w in jieba_words(text) if len(w) >= 2 and CJK.search(w)]
        words += [w for w in LATIN.findall(text) if len(w) >= 2]
        tf.update(words)
        df.update(set(words))
    found = []
    for term, count in tf.items():
        if count < min_tf:
            continue
        idf = LATIN_IDF if not CJK.search(term) else idf_table.get(term, median)
        found.append(Candidate(term, count, df[term], idf, word_tag(term)))
    return sorted(found, key=lambda c: -c.score)


def glossary_terms(path: Path) -> set[str]:
    """The Chinese terms a glossary file already maps to (normalised)."""
    terms: set[str] = set()
    if path.is_file():
        for line in path.read_text("utf-8").splitlines():
            if "\t" in line and not line.startswith("#"):
                terms.update(normalize(t.strip()) for t in line.split("\t", 1)[1].split("|") if t.strip())
    return terms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--glossary", type=Path, default=Path("corpus/glossary.tsv"))
    parser.add_argument("--top", type=int, default=600, help="how many to list (0: all)")
    parser.add_argument("--min-tf", type=int, default=2, help="least occurrences in the corpus")
    parser.add_argument("--new-only", action="store_true", help="leave out terms the glossary has")
    args = parser.parse_args(argv)
    known = glossary_terms(args.glossary)
    rows = candidates(corpus_texts(args.corpus), args.min_tf)
    if args.new_only:
        rows = [c for c in rows if c.term not in known]
    if args.top:
        rows = rows[: args.top]
    print("term\ttf\tdf\tidf\ttag\tscore\tin_glossary")
    for c in rows:
        print(f"{c.term}\t{c.tf}\t{c.df}\t{c.idf:.2f}\t{c.tag}\t{c.score:.1f}\t{'yes' if c.term in known else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
