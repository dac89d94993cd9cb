"""The induction's content: walkthrough steps and quiz questions, read from policy_corpus/ and
checked against the policy they teach. The policy's version is a hash of its clause texts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.policy.corpus import Clause, Policy, load_corpus


class InductionError(ValueError):
    """The induction file does not fit its policy; the message says where."""


@dataclass(frozen=True)
class Step:
    section: str
    intro: str
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    options: tuple[str, ...]
    correct: int
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Induction:
    policy: Policy
    steps: tuple[Step, ...]
    quiz: tuple[Question, ...]

    @property
    def version(self) -> str:
        return policy_version(self.policy)

    def question(self, question_id: str) -> Question:
        return next(q for q in self.quiz if q.id == question_id)


def policy_version(policy: Policy) -> str:
    """Code plus a hash of the clause texts: a changed clause is a new version to acknowledge."""
    digest = hashlib.sha256("\n".join(f"{c.number}\t{c.text}" for c in policy.clauses).encode()).hexdigest()
    return f"{policy.code}-{digest[:12]}"


def load_induction(corpus_dir: Path, code: str = "D200") -> Induction:
    path = corpus_dir / f"{code}_induction.yml"
    policies = {p.code: p for p in load_corpus(corpus_dir)}
    if code not in policies:
        raise InductionError(f"{path}: no policy {code} in {corpus_dir}")
    policy = policies[code]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InductionError(f"{path}: cannot be read ({type(exc).__name__})") from None
    clauses = {c.number: c for c in policy.clauses}

    def cited(numbers, where: str) -> tuple[Clause, ...]:
        missing = [n for n in numbers or [] if str(n) not in clauses]
        if missing or not numbers:
            raise InductionError(f"{path}: {where} cites {missing or 'no clauses'}, not clauses of {code}")
        return tuple(clauses[str(n)] for n in numbers)

    steps = tuple(Step(s["section"], s.get("intro", ""), cited(s.get("clauses"), f"step {s['section']!r}"))
                  for s in raw.get("walkthrough") or [])
    sections = list(dict.fromkeys(c.section for c in policy.clauses))
    if [s.section for s in steps] != sections:
        raise InductionError(f"{path}: the walkthrough must cover every section in order: {sections}")
    quiz = []
    for q in raw.get("quiz") or []:
        correct = [i for i, option in enumerate(q.get("options") or []) if option.get("correct") is True]
        if len(correct) != 1:
            raise InductionError(f"{path}: question {q.get('id')!r} needs exactly one correct option")
        quiz.append(Question(q["id"], q["question"], tuple(o["text"] for o in q["options"]), correct[0],
                             cited(q.get("clauses"), f"question {q['id']!r}")))
    if len({q.id for q in quiz}) != len(quiz) or len(quiz) < 12:
        raise InductionError(f"{path}: needs at least 12 quiz questions with distinct ids")
    return Induction(policy, steps, tuple(quiz))
