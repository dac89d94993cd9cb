"""Score a retrieval index on a labelled question set (used by the quality test and the bench)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from bot.policy.assistant import PolicyAssistant
from bot.policy.retrieval import PolicyIndex, SearchResult


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


def search_all(index: PolicyIndex, questions: list[Labelled]) -> list[SearchResult]:
    """Top three clauses for every question, before any refusal threshold."""
    return [index.search(q.question, q.role, k=3, covered_at=float("-inf")) for q in questions]


def measure(questions: list[Labelled], results: list[SearchResult], covered_at: float) -> Quality:
    """hit@k over covered questions counts a refusal as a miss."""
    hit1 = hit3 = refused = right = 0
    misses = []
    for q, result in zip(questions, results, strict=True):
        top = result.hits[0]
        answered = top.score >= covered_at
        ids = [h.clause.id for h in result.hits] if answered else []
        if not q.expect:
            right += not answered
            if answered:
                misses.append(f"{q.question!r} should be not covered, got {top.clause.id}={top.score:.2f}")
            continue
        hit1 += bool(ids) and ids[0] in q.expect
        hit3 += any(i in q.expect for i in ids)
        refused += not answered
        if not ids or ids[0] not in q.expect:
            got = ", ".join(f"{h.clause.id}={h.score:.2f}" for h in result.hits)
            misses.append(f"{q.question!r} want {sorted(q.expect)} got [{got}] answered={answered}")
    n = max(sum(1 for q in questions if q.expect), 1)
    m = max(sum(1 for q in questions if not q.expect), 1)
    return Quality(hit1 / n, hit3 / n, right / m, refused / n, tuple(misses))


def evaluate(index: PolicyIndex, questions: list[Labelled], covered_at: float | None = None) -> Quality:
    threshold = index.weights.covered_at if covered_at is None else covered_at
    return measure(questions, search_all(index, questions), threshold)


@dataclass(frozen=True)
class FollowUp:
    first: str
    question: str
    role: str
    expect: frozenset[str]


def load_followups(path: Path) -> list[FollowUp]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [FollowUp(r["first"], r["q"], r.get("role", "staff"), frozenset(r["expect"])) for r in rows]


def _top(answer) -> str | None:
    return next(iter(answer.cited()), None)


def _answers(top: str | None, expect) -> bool:
    """Is `top` (the first clause cited, None for "not covered") a right answer: one of the clauses expected or one
    of its items ("D200 10.1.S" for "D200 10.1"), or "not covered" when none is expected?"""
    if not expect:
        return top is None
    return top is not None and any(top == e or top.startswith(e + ".") for e in expect)


def followups_right(assistant, rows: list[FollowUp]) -> float:
    """Follow-ups read after their first question (PolicyAssistant.ask_after) answered right: the top clause is
    one expected (or one of its items: "D200 10.1.S" for "D200 10.1"), or, when none is, the reply is "not
    covered"."""
    right = sum(_answers(_top(assistant.ask_after(r.question, r.first, r.role)[1]), r.expect) for r in rows)
    return right / max(len(rows), 1)


def short_after_unrelated(assistant, questions: list[Labelled], words: int, seed: int = 7) -> tuple[int, int, int]:
    """Short questions (at most `words` words) asked right after an unrelated question from the same set: how
    many are answered right there, against how many are answered right on their own, of how many."""
    rng = random.Random(seed)
    short = [q for q in questions if len(q.question.split()) <= words]

    def right(q: Labelled, previous: str | None) -> bool:
        top = _top(assistant.ask_after(q.question, previous, q.role)[1])
        return top in q.expect if q.expect else top is None

    after = alone = 0
    for q in short:
        previous = rng.choice([p for p in questions if p.expect and p.expect != q.expect]).question
        after += right(q, previous)
        alone += right(q, None)
    return after, alone, len(short)


def boundary(assistant, questions: list[Labelled]) -> tuple[int, int, int, int, int]:
    """Questions answered as users get them (PolicyAssistant.ask): (not covered refused, not covered, covered
    answered with a right clause first, covered refused, covered)."""
    refused = right = wrongly = 0
    for q in questions:
        top = _top(assistant.ask(q.question, q.role))
        if not q.expect:
            refused += top is None
        else:
            right += _answers(top, q.expect)
            wrongly += top is None
    uncovered = sum(1 for q in questions if not q.expect)
    return refused, uncovered, right, wrongly, len(questions) - uncovered


@dataclass(frozen=True)
class Tradeoff:
    covered_at: float
    not_covered_refused: int
    not_covered: int
    covered_refused: int
    covered: int
    hit_at_1: float


def refusal_tradeoff(assistant, questions: list[Labelled], thresholds: list[float]) -> list[Tradeoff]:
    """Questions answered as users get them (PolicyAssistant.ask) at each refusal threshold (`covered_at`), the
    assistant's other weights and encoder unchanged: how many uncovered questions a stricter threshold refuses, and
    how many covered ones it refuses with them."""
    rows = []
    for at in thresholds:
        strict = PolicyAssistant(assistant.settings, encoder=assistant.encoder, clock=assistant.clock,
                                 weights=replace(assistant.weights, covered_at=at))
        tops = [_top(strict.ask(q.question, q.role)) for q in questions]
        uncovered = [top for top, q in zip(tops, questions, strict=True) if not q.expect]
        covered = [(top, q) for top, q in zip(tops, questions, strict=True) if q.expect]
        right = sum(_answers(top, q.expect) for top, q in covered)
        rows.append(Tradeoff(at, sum(top is None for top in uncovered), len(uncovered),
                             sum(top is None for top, _ in covered), len(covered), right / max(len(covered), 1)))
    return rows
