"""Score a retrieval index on a labelled question set (used by the quality test and the bench)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.retrieval import PolicyIndex


@dataclass(frozen=True)
class Labelled:
    question: str
    role: str
    expect: frozenset[str]


@dataclass(frozen=True)
class Quality:
    hit_at_1: float
    hit_at_3: float
    not_covered_right: float
    wrongly_refused: float
    misses: tuple[str, ...]


def load_questions(path: Path) -> list[Labelled]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Labelled(r["q"], r.get("role", "staff"), frozenset(r["expect"])) for r in rows]


def evaluate(index: PolicyIndex, questions: list[Labelled], covered_at: float | None = None) -> Quality:
    """hit@k over covered questions counts a refusal as a miss."""
    covered = [q for q in questions if q.expect]
    uncovered = [q for q in questions if not q.expect]
    hit1 = hit3 = refused = right = 0
    misses = []
    for q in covered:
        result = index.search(q.question, q.role, k=3, covered_at=covered_at)
        ids = [h.clause.id for h in result.hits] if result.covered else []
        hit1 += bool(ids) and ids[0] in q.expect
        hit3 += any(i in q.expect for i in ids)
        refused += not result.covered
        if not ids or ids[0] not in q.expect:
            top = ", ".join(f"{h.clause.id}={h.score:.2f}" for h in result.hits)
            misses.append(f"{q.question!r} want {sorted(q.expect)} got [{top}] covered={result.covered}")
    for q in uncovered:
        result = index.search(q.question, q.role, k=1, covered_at=covered_at)
        right += not result.covered
        if result.covered:
            misses.append(f"{q.question!r} should be not covered, got {result.hits[0].clause.id}={result.hits[0].score:.2f}")
    n, m = max(len(covered), 1), max(len(uncovered), 1)
    return Quality(hit1 / n, hit3 / n, right / m, refused / n, tuple(misses))
