"""Precision and recall of the relevance gate on the hand-labelled papers, and the shipped classifier.

    python bench/relevance.py                  # report; encodes what var/relevance-vectors.npz lacks
    python bench/relevance.py --write          # ... and retrain data/relevance/classifier.json

Labels: data/relevance/labelled_papers.jsonl (how they were made: data/relevance/README.md). Every
method sees the same category gate as ingestion (a paper outside the categories we read is out).
Held-out numbers: the classifier trained with hand labels is scored by 5-fold cross-validation, each
paper judged by a model that never saw its label. Results go to docs/relevance.md.
"""

import argparse
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from sklearn.model_selection import StratifiedKFold  # noqa: E402

from apps.papers import relevance  # noqa: E402
from recsys.encoder import default_model_path, load_encoder  # noqa: E402
from recsys.relevance import fit  # noqa: E402

CACHE = ROOT / "var" / "relevance-vectors.npz"


def vectors_for(texts: list[str]) -> np.ndarray:
    """The packaged encoder's vectors, from a cache keyed by the text's hash (encoding is the slow part)."""
    encoder = load_encoder(str(default_model_path()), "auto")
    keys = [hashlib.sha1(f"{encoder.name}\n{text}".encode()).hexdigest() for text in texts]
    cached = dict(np.load(CACHE)) if CACHE.exists() else {}
    missing = [i for i, key in enumerate(keys) if key not in cached]
    if missing:
        print(f"encoding {len(missing)} papers", file=sys.stderr)
        cached.update(zip((keys[i] for i in missing), encoder.encode([texts[i] for i in missing], progress=True)))
        CACHE.parent.mkdir(exist_ok=True)
        np.savez(CACHE, **cached)
    vectors = np.stack([cached[key] for key in keys]).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def scores(predicted: np.ndarray, truth: np.ndarray) -> str:
    tp, fp, fn = (predicted & truth).sum(), (predicted & ~truth).sum(), (~predicted & truth).sum()
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return f"| {precision:.2f} | {recall:.2f} | {f1:.2f} | {tp} | {fp} | {fn} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="retrain and write the shipped classifier")
    args = parser.parse_args()

    rule = relevance.current_rule()
    rows = relevance._rows(relevance.LABELLED_PAPERS)
    truth = np.array([row["of_interest"] for row in rows])
    listed = np.array([any(c in rule.categories for c in row["categories"]) for row in rows])
    texts, labels, weights = relevance.training_set()
    n_seeds = int((weights == 1.0).sum())
    vectors = vectors_for(texts)
    seeds, labelled = vectors[:n_seeds], vectors[n_seeds:]
    name = load_encoder(str(default_model_path()), "auto").name

    keyword = np.array(
        [
            bool(
                relevance.relevance_reason(
                    title=r["title"], abstract=r["abstract"], categories=r["categories"], rule=rule
                )
            )
            for r in rows
        ]
    )
    pattern = (
        np.array([bool(rule.pattern.search(r["title"]) or rule.pattern.search(r["abstract"])) for r in rows]) & listed
    )
    seeded = fit(seeds, labels[:n_seeds], text_model=name).accepts(labelled) & listed
    held_out = np.zeros(len(rows), dtype=bool)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(labelled, truth):
        model = fit(
            np.vstack([seeds, labelled[train]]),
            np.concatenate([labels[:n_seeds], truth[train]]),
            np.concatenate([weights[:n_seeds], weights[n_seeds:][train]]),
            text_model=name,
        )
        held_out[test] = model.accepts(labelled[test])
    held_out &= listed

    print(
        f"{len(rows)} labelled papers, {truth.sum()} of interest; {n_seeds} seed papers ({labels[:n_seeds].sum()} keyword matches)\n"
    )
    print("| gate | precision | recall | F1 | TP | FP | FN |\n|---|---|---|---|---|---|---|")
    print("| keyword rule (cs.IR whole + keywords elsewhere), before |", scores(keyword, truth)[2:])
    print("| keywords only, any listed category |", scores(pattern, truth)[2:])
    print("| classifier on keyword seeds only (no hand label seen) |", scores(seeded, truth)[2:])
    print("| classifier on seeds + hand labels, 5-fold held out (shipped recipe) |", scores(held_out, truth)[2:])

    if args.write:
        shipped = fit(
            vectors,
            labels,
            weights,
            text_model=name,
            trained_on=f"{n_seeds} keyword-rule seeds and {len(rows)} hand-labelled papers",
        )
        shipped.save(relevance.SHIPPED_CLASSIFIER)
        print(f"\nwrote {relevance.SHIPPED_CLASSIFIER.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
