"""Safeguarding induction: the walkthrough, the scenario quiz and the acknowledgement register.

Progress is kept in the database by channel identity, so a member of staff can stop and resume
days later. Every completed quiz attempt is a register row; the "I have read and understood"
confirmation is recorded on the passing one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select

from bot import database
from bot.contract import ANSWER_INDUCTION_QUESTION, CONFIRM, NEXT, START, STOP, payload
from bot.induction.content import Induction, load_induction
from bot.policy.answers import cite
from bot.records import Acknowledgement, InductionProgress, utcnow
from bot.settings import Settings

HOW_TO_GO_ON = ("Say \"next\" to go on, ask me any question about the policy (we'll carry on afterwards), "
                "or say \"stop induction\" to finish later.")


@dataclass
class Reply:
    text: str
    buttons: list[dict] = field(default_factory=list)


def _button(title: str, payload: str) -> dict:
    return {"title": title, "payload": payload}


def _quote(clauses) -> str:
    return "\n".join(f"{cite(c)}: “{c.text}”" for c in clauses)


@dataclass(frozen=True)
class StaffMember:
    """One row of the school's staff list: a name and, ideally, their Slack user id and Teams object id."""

    name: str
    slack_user: str = ""
    teams_user: str = ""


class InductionService:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.url = settings.database_url()
        self.db = database.open_database(self.url)

    @cached_property
    def content(self) -> Induction:
        return load_induction(self.settings.path(self.settings.POLICY_CORPUS_DIR))

    def _progress(self, session, sender: str) -> InductionProgress | None:
        return session.get(InductionProgress, sender, with_for_update=True)

    def known_name(self, sender: str) -> str | None:
        with self.db.session(read_only=True) as session:
            progress = session.get(InductionProgress, sender)
            return progress.person_name if progress else None

    def _progress_order(self, sender: str) -> list[str]:
        """The quiz order of the current attempt (for tests and support)."""
        with self.db.session(read_only=True) as session:
            progress = session.get(InductionProgress, sender)
            return list(progress.quiz_order) if progress else []

    def in_progress(self, sender: str) -> bool:
        with self.db.session(read_only=True) as session:
            progress = session.get(InductionProgress, sender)
            return bool(progress and progress.stage != "done")

    # The conversation ---------------------------------------------------------------------

    def begin(self, sender: str, name: str) -> list[Reply]:
        """Start, or resume where this person left off."""
        with self.db.session() as session:
            progress = self._progress(session, sender)
            if progress and progress.stage != "done" and progress.policy_version == self.content.version:
                intro = Reply(f"Welcome back, {progress.person_name}. Let's carry on where you left off.")
                return [intro, *self._current(progress)]
            progress = progress or InductionProgress(channel_user=sender)
            progress.person_name, progress.policy_code = name, self.content.policy.code
            progress.policy_version, progress.stage, progress.step = self.content.version, "walkthrough", 0
            progress.quiz_order, progress.answers, progress.attempt = [], [], 0
            progress.started_at = progress.updated_at = utcnow()
            session.add(progress)
            n = len(self.content.steps)
            intro = Reply(f"Thank you, {name}. This is the safeguarding induction for the {self.content.policy.title} "
                          f"({self.content.policy.code}): {n} short sections with the key clauses, then "
                          f"{len(self.content.quiz)} scenario questions (pass mark {self.settings.INDUCTION_PASS_MARK}%), "
                          "then your confirmation for the school's register.")
            return [intro, *self._current(progress)]

    def advance(self, sender: str) -> list[Reply]:
        with self.db.session() as session:
            progress = self._progress(session, sender)
            if progress is None or progress.stage == "done":
                return [Reply("There's no induction in progress. Say \"start induction\" to begin.",
                              [_button("Start induction", START)])]
            if progress.stage == "walkthrough":
                progress.step += 1
                if progress.step >= len(self.content.steps):
                    return self._start_quiz(progress)
            elif progress.stage == "failed":
                return self._start_quiz(progress)
            progress.updated_at = utcnow()
            return self._current(progress)

    def stop(self, sender: str) -> list[Reply]:
        with self.db.session() as session:
            progress = self._progress(session, sender)
            if progress is None or progress.stage == "done":
                return [Reply("There's no induction in progress.")]
            where = (f"section {progress.step + 1} of {len(self.content.steps)}" if progress.stage == "walkthrough"
                     else "the quiz")
            return [Reply(f"Stopped. Your place is saved at {where}. Say \"start induction\" whenever you're ready "
                          "to carry on.", [_button("Resume induction", START)])]

    def answer(self, sender: str, choice: int) -> list[Reply]:
        with self.db.session() as session:
            progress = self._progress(session, sender)
            if progress is None or progress.stage != "quiz":
                return [Reply("There's no quiz question waiting. Say \"start induction\" to begin or resume.")]
            question = self.content.question(progress.quiz_order[len(progress.answers)])
            if not 0 <= choice < len(question.options):
                return [Reply("Please choose one of the options."), *self._current(progress)]
            right = choice == question.correct
            progress.answers = [*progress.answers, right]
            progress.updated_at = utcnow()
            verdict = "Correct." if right else f"Not quite. The answer is: {question.options[question.correct]}"
            replies = [Reply(f"{verdict}\nThe policy says:\n{_quote(question.clauses)}")]
            if len(progress.answers) < len(progress.quiz_order):
                return replies + self._current(progress)
            return replies + self._finish_attempt(session, progress)

    def confirm(self, sender: str) -> list[Reply]:
        with self.db.session() as session:
            progress = self._progress(session, sender)
            if progress is None or progress.stage != "confirm":
                return [Reply("There's nothing to confirm yet: the confirmation comes after passing the quiz.")]
            row = session.scalars(select(Acknowledgement).where(
                Acknowledgement.channel_user == sender, Acknowledgement.passed.is_(True),
                Acknowledgement.policy_version == progress.policy_version).order_by(Acknowledgement.id.desc())).first()
            if row is None:  # the confirm stage is reached only by saving a passed attempt
                raise LookupError(f"no passed attempt to confirm for version {progress.policy_version}")
            row.confirmed_at = utcnow()
            progress.stage, progress.updated_at = "done", utcnow()
            return [Reply(f"Thank you, {progress.person_name}. Your confirmation that you have read and understood "
                          f"the {self.content.policy.title} (version {progress.policy_version}) is recorded in the "
                          "school's register. You can ask me about the policy at any time.")]

    # Steps ---------------------------------------------------------------------------------

    def _current(self, progress: InductionProgress) -> list[Reply]:
        if progress.stage == "walkthrough":
            step = self.content.steps[progress.step]
            text = (f"Section {progress.step + 1} of {len(self.content.steps)}: {step.section}\n{step.intro}\n\n"
                    f"{_quote(step.clauses)}\n\n{HOW_TO_GO_ON}")
            return [Reply(text, [_button("Next", NEXT), _button("Stop for now", STOP)])]
        if progress.stage == "quiz":
            number = len(progress.answers)
            question = self.content.question(progress.quiz_order[number])
            buttons = [_button(option, payload(ANSWER_INDUCTION_QUESTION, quiz_choice=str(i)))
                       for i, option in enumerate(question.options)]
            return [Reply(f"Question {number + 1} of {len(progress.quiz_order)}: {question.question}", buttons)]
        if progress.stage == "failed":
            return [Reply("Would you like to take the quiz again? The questions come in a new order.",
                          [_button("Retake the quiz", NEXT)])]
        if progress.stage == "confirm":
            return [self._confirm_prompt()]
        return [Reply("You've finished the induction.")]

    def _start_quiz(self, progress: InductionProgress) -> list[Reply]:
        order = [q.id for q in self.content.quiz]
        random.shuffle(order)
        while order == progress.quiz_order:  # a retake comes in a new order
            random.shuffle(order)
        progress.quiz_order, progress.answers, progress.stage = order, [], "quiz"
        progress.attempt += 1
        progress.updated_at = utcnow()
        intro = Reply(f"Now the scenario quiz (attempt {progress.attempt}): {len(order)} questions. "
                      f"The pass mark is {self.settings.INDUCTION_PASS_MARK}%.")
        return [intro, *self._current(progress)]

    def _finish_attempt(self, session, progress: InductionProgress) -> list[Reply]:
        correct, total = sum(progress.answers), len(progress.answers)
        score = round(100 * correct / total)
        passed = score >= self.settings.INDUCTION_PASS_MARK
        session.add(Acknowledgement(
            person_name=progress.person_name, channel_user=progress.channel_user, policy_code=progress.policy_code,
            policy_version=progress.policy_version, attempt=progress.attempt, started_at=progress.started_at,
            finished_at=utcnow(), score=score, passed=passed))
        summary = f"You scored {score}% ({correct} of {total})."
        if not passed:
            progress.stage = "failed"
            return [Reply(f"{summary} The pass mark is {self.settings.INDUCTION_PASS_MARK}%, so let's try again: "
                          "the explanations above show where the policy stands.", [_button("Retake the quiz", NEXT)])]
        progress.stage = "confirm"
        return [Reply(f"{summary} Well done, you've passed."), self._confirm_prompt()]

    def _confirm_prompt(self) -> Reply:
        return Reply(f"Last step: please confirm that you have read and understood the {self.content.policy.title} "
                     f"({self.content.policy.code}, version {self.content.version}).",
                     [_button("I have read and understood the policy", CONFIRM)])

    # The register --------------------------------------------------------------------------

    def register(self) -> list[Acknowledgement]:
        with self.db.session(read_only=True) as session:
            return list(session.scalars(select(Acknowledgement).order_by(Acknowledgement.id)))

    def missing(self, staff: list[StaffMember]) -> list[tuple[str, str]]:
        """(name, reason) for each person with no confirmed acknowledgement of the current version. A person with
        a Slack user id or Teams (Entra) object id on the staff list is matched on that identity only, so a typed
        name cannot stand in for them; one with neither is matched by name, and the reason says so."""
        current = self.content.version
        by_identity: dict[str, Acknowledgement] = {}
        by_name: dict[str, Acknowledgement] = {}
        for row in self.register():
            if row.confirmed_at is not None:
                by_identity[row.channel_user.split(":")[0] + ":" + row.channel_user.split(":")[-1]] = row
                by_name[" ".join(row.person_name.lower().split())] = row
        missing = []
        for person in staff:
            keys = [f"{channel}:{ident}" for channel, ident in (("slack", person.slack_user),
                                                                 ("teams", person.teams_user)) if ident]
            found = [by_identity[k] for k in keys if k in by_identity]
            confirmed = found[0] if found else None if keys else by_name.get(" ".join(person.name.lower().split()))
            note = "" if keys else " (matched by name: add their slack_user or teams_user to the staff list)"
            if confirmed is None:
                missing.append((person.name, "no acknowledgement" + (note if not keys else "")))
            elif confirmed.policy_version != current:
                missing.append((person.name, f"out of date: acknowledged {confirmed.policy_version}, current is "
                                             f"{current}{note}"))
        return missing
