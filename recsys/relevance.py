"""Is a paper of interest to a RecSys community? A logistic regression over its text embedding.

    p(of interest | paper) = sigmoid(w · e + b),   e = unit text embedding of "title. abstract"  (d,)

Trained on labelled (embedding, verdict) pairs with balanced class weights (off-topic papers outnumber
on-topic ones about 9 to 1 in the arXiv categories we read) and per-example weights, so that a few
hundred human verdicts outweigh many keyword-rule seeds. Django-free; apps/papers/relevance.py serves it.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class RelevanceClassifier:
    text_model: str  # the encoder its inputs must come from
    weights: np.ndarray  # (d,)
    bias: float
    threshold: float = 0.5
    trained_on: str = ""  # what it learnt from, for people

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        """(n, d) unit embeddings -> (n,) probabilities of being of interest."""
        return 1.0 / (1.0 + np.exp(-(vectors @ self.weights + self.bias)))

    def accepts(self, vectors: np.ndarray) -> np.ndarray:
        return self.probability(vectors) >= self.threshold

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "text_model": self.text_model,
            "bias": self.bias,
            "threshold": self.threshold,
            "trained_on": self.trained_on,
            "weights": [round(float(w), 6) for w in self.weights],
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)  # readers never see half a file

    @classmethod
    def load(cls, path: Path) -> "RelevanceClassifier":
        data = json.loads(Path(path).read_text())
        return cls(
            data["text_model"],
            np.asarray(data["weights"], dtype=np.float32),
            float(data["bias"]),
            float(data["threshold"]),
            data.get("trained_on", ""),
        )


def fit(
    vectors: np.ndarray,
    labels: np.ndarray,
    sample_weight: np.ndarray | None = None,
    *,
    text_model: str,
    C: float = 1.0,
    threshold: float = 0.5,
    trained_on: str = "",
) -> RelevanceClassifier:
    """vectors (n, d) unit embeddings, labels (n,) bool, sample_weight (n,) or None."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels.tolist())) < 2:
        raise ValueError("Refitting needs papers of both kinds: some accepted and some rejected.")
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    model.fit(vectors, labels, sample_weight=sample_weight)
    return RelevanceClassifier(
        text_model, model.coef_[0].astype(np.float32), float(model.intercept_[0]), threshold, trained_on
    )
