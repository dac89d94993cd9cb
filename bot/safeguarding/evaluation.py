"""Measuring the triage: recall and precision per kind, advice that covers each kind, and false alarms."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.safeguarding.advice import URGENT
from bot.safeguarding.cues import KINDS


@dataclass(frozen=True)
class KindFigures:
    kind: str
    messages: int
    recall: float  # given this kind
    recall_any: float  # treated as some safeguarding concern
    precision: float
    advised: float  # given advice that covers this kind (as the main kind or as one it is also about)


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


def covers(gold: str, advised: tuple[str, ...]) -> bool:
    """Whether advice for these kinds covers a message of kind `gold`. Danger and disclosure advice both
    carry 999, the DSL now and what to do when a child has told you (bot.safeguarding.advice)."""
    return gold in advised or (gold in URGENT and any(k in URGENT for k in advised))


def score(gold: list[str], predicted: list[str], advised: list[tuple[str, ...]] | None = None) -> TriageFigures:
    """`predicted` is each message's main kind; `advised` every kind whose advice it got (main first)."""
    advised = advised if advised is not None else [(p,) if p != "none" else () for p in predicted]
    kinds = []
    for kind in KINDS:
        mine = [p for g, p in zip(gold, predicted, strict=True) if g == kind]
        said = [g for g, p in zip(gold, predicted, strict=True) if p == kind]
        covered = [covers(kind, a) for g, a in zip(gold, advised, strict=True) if g == kind]
        kinds.append(KindFigures(kind, len(mine), _share(mine, lambda p, k=kind: p == k),
                                 _share(mine, lambda p: p != "none"), _share(said, lambda g, k=kind: g == k),
                                 sum(covered) / len(covered) if covered else 0.0))
    negatives = [p for g, p in zip(gold, predicted, strict=True) if g == "none"]
    return TriageFigures(kinds, len(negatives), _share(negatives, lambda p: p != "none"))


def _share(items: list[str], test) -> float:
    return sum(1 for i in items if test(i)) / len(items) if items else 0.0
