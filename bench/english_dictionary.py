"""What the CC-CEDICT fallback does for English questions whose words the glossary lacks.

The shipped glossary was partly written from the dev split's English questions (the blocks whose
header says so), so on dev it already covers their words and the dictionary has little left to
do. To see what a new English question meets, the same dev questions are run against the
glossary without those blocks ("glossary without dev-derived entries"), with the dictionary off
and at 1 and 2 terms per word, and then with the whole glossary:

    python -m bench.english_dictionary            # dev split, English answerable questions

Each row is one `hindsight eval --config hybrid --split dev` run (docs/retrieval.md round 6).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "corpus" / "glossary.tsv"
METRICS = ("hit@1", "hit@5", "mrr@10", "recall@5", "key_facts", "citation_precision", "citation_recall")


def without_dev_blocks(text: str) -> str:
    """The glossary minus every block (a run of comment lines and the entries under it) whose
    comment says it was added from the dev split."""
    kept: list[str] = []
    comment: list[str] = []
    dropping = False
    for line in text.splitlines():
        if line.startswith("#"):
            comment.append(line)
            continue
        if comment:  # the first entry under a comment run decides the whole block
            dropping = "dev split" in " ".join(comment)
            kept += [] if dropping else comment
            comment = []
        if not dropping:
            kept.append(line)
    return "\n".join(kept + comment) + "\n"


def english_means(run: str) -> dict[str, float]:
    rows = json.loads((ROOT / "eval" / "results" / run / "summary.json").read_text(encoding="utf-8"))
    picked = [r["metrics"] for r in rows["questions"]["hybrid"]
              if r["split"] == "dev" and r["answerable"] and r["lang"] == "en"]
    return {"n": len(picked), **{m: sum(r.get(m, 0.0) for r in picked) / len(picked) for m in METRICS}}


def run(name: str, glossary: Path, terms: int) -> dict[str, float]:
    env = {**os.environ, "HINDSIGHT_GLOSSARY_FILE": str(glossary), "HINDSIGHT_DICTIONARY_TERMS": str(terms)}
    subprocess.run([sys.executable, "-m", "hindsight.cli", "eval", "--config", "hybrid", "--split", "dev",
                    "--quiet", "--run", name], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return english_means(name)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        reduced = Path(tmp) / "glossary-no-dev.tsv"
        reduced.write_text(without_dev_blocks(GLOSSARY.read_text(encoding="utf-8")), encoding="utf-8")
        rows = [(f"glossary without dev-derived entries, dictionary {t}", run(f"endict-nodev-{t}", reduced, t))
                for t in (0, 1, 2)]
        rows += [(f"whole glossary, dictionary {t}", run(f"endict-full-{t}", GLOSSARY, t)) for t in (0, 1)]
    print("| English dev questions | n | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    for label, means in rows:
        print(f"| {label} | {int(means['n'])} | " + " | ".join(f"{means[m]:.3f}" for m in METRICS) + " |")


if __name__ == "__main__":
    main()
