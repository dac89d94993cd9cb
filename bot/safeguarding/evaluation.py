"""Measuring the triage: recall and precision per kind, false alarms, and cross-validation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.policy.embeddings import Encoder
from bot.safeguarding.cues import KINDS
from bot.safeguarding.triage import Thresholds, decide, features, for_model, softmax, train


@dataclass(frozen=True)
class KindFigures:
    kind: str
    messages: int
    recall: float  # given this kind
    recall_any: float  # treated as some safeguarding concern
    precision: float


@dataclass(frozen=True)
class TriageFigures:
    kinds: list[KindFigures]
    negatives: int
    false_alarms: float  # messages labelled none that were treated as a concern

    def kind(self, name: str) -> KindFigures:
        return next(k for k in self.kinds if k.kind == name)


def load_labelled(path: Path) -> list[tuple[str, str, str]]:
    """(text, role, kind) from a labelled set."""
    return [(str(x["text"]), str(x["role"]), str(x["kind"])) for x in yaml.safe_load(path.read_text(encoding="utf-8"))]


def score(gold: list[str], predicted: list[str]) -> TriageFigures:
    kinds = []
    for kind in KINDS:
        mine = [p for g, p in zip(gold, predicted, strict=True) if g == kind]
        said = [g for g, p in zip(gold, predicted, strict=True) if p == kind]
        kinds.append(KindFigures(kind, len(mine), _share(mine, lambda p, k=kind: p == k),
                                 _share(mine, lambda p: p != "none"), _share(said, lambda g, k=kind: g == k)))
    negatives = [p for g, p in zip(gold, predicted, strict=True) if g == "none"]
    return TriageFigures(kinds, len(negatives), _share(negatives, lambda p: p != "none"))


def _share(items: list[str], test) -> float:
    return sum(1 for i in items if test(i)) / len(items) if items else 0.0


def cross_validated(encoder: Encoder, prototypes: list[tuple[str, str]], folds: int = 5,
                    t: Thresholds | None = None) -> TriageFigures:
    """Each prototype judged by a classifier trained on the other folds (deterministic folds)."""
    t = t or Thresholds()
    texts, labels = [p[0] for p in prototypes], [p[1] for p in prototypes]
    x = features(texts, encoder.encode([for_model(t) for t in texts]))
    fold = np.arange(len(texts)) % folds
    predicted = [""] * len(texts)
    for f in range(folds):
        w = train(x[fold != f], [lab for lab, g in zip(labels, fold, strict=True) if g != f], t)
        for i, row in zip(np.where(fold == f)[0], softmax(x[fold == f] @ w), strict=True):
            predicted[i] = decide(texts[i], row, t).kind
    return score(labels, predicted)
