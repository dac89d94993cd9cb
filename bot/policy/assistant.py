"""The question-answering service: corpus, index and answers, built lazily once per process."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from bot.policy import followups
from bot.policy.about import PURPOSE, about_dates, may_answer, other_policy
from bot.policy.answers import Answer, compose, not_covered
from bot.policy.corpus import Policy, load_corpus
from bot.policy.embeddings import Encoder
from bot.policy.glossary import Glossary
from bot.policy.retrieval import PolicyIndex, SearchResult, Weights
from bot.policy.subject import subject_role
from bot.roles import ROLES
from bot.settings import Settings

log = logging.getLogger(__name__)


class PolicyAssistant:
    def __init__(
        self,
        settings: Settings | None = None,
        encoder: Encoder | None = None,
        clock: Callable[[], dt.date] = dt.date.today,
        weights: Weights | None = None,
    ):
        self.settings = settings or Settings.from_env()
        self._encoder = encoder
        self.clock = clock
        self.weights = weights or Weights()
        self._lock = threading.Lock()

    @cached_property
    def policies(self) -> dict[str, Policy]:
        return {p.code: p for p in load_corpus(self.settings.path(self.settings.POLICY_CORPUS_DIR))}

    @cached_property
    def encoder(self) -> Encoder:
        """Retrieval's encoder: the MiniLM fine-tuned on the policies' phrasings (bot.policy.tuned), cached."""
        if self._encoder is not None:
            return self._encoder
        from bot.policy.tuned import load_or_train

        return load_or_train(list(self.policies.values()), self.settings.path(self.settings.RETRIEVAL_MODEL_DIR),
                             precision=self.settings.RETRIEVAL_PRECISION, threads=self.settings.ENCODER_THREADS)

    @property
    def index(self) -> PolicyIndex:
        with self._lock:
            if "_index" not in self.__dict__:
                corpus = self.settings.path(self.settings.POLICY_CORPUS_DIR)
                self.__dict__["_index"] = PolicyIndex(
                    list(self.policies.values()),
                    self.encoder,
                    Glossary.load(corpus / "glossary.yml"),
                    self.settings.path(self.settings.INDEX_CACHE_DIR),
                    self.weights,
                )
            return self.__dict__["_index"]

    def ask(self, question: str, role: str | None = None, alone: str | None = None) -> Answer:
        """The answer to `question` asked by `role`; `alone` is the latest message when `question` is that message
        read with the question before it (PolicyIndex.search weighs it)."""
        role = role if role in ROLES else None
        quoted = self.index.quoting(question)  # a clause pasted in is that clause, whatever other policy it names
        dates = None if quoted else about_dates(question, self.policies, self.clock())
        if dates is not None:
            return dates
        if not quoted and other_policy(question, [p.title for p in self.policies.values()]):
            return not_covered(question, self.policies, self.clock())
        about = subject_role(question) or role  # whose rules: "can a pupil…" asked by staff is about pupils'
        only = policy_named(question, self.policies)
        found = self.index.search(question, about, k=6, only=only, alone=alone)
        if only and not found.covered:  # the naming words may outweigh what is asked about: without them
            found = self.index.search(without_policy_name(question, self.policies[only]), about, k=6, only=only,
                                      alone=alone)
        hits = [h for h in found.hits if may_answer(h.clause.number, h.clause.section, question)]
        named = quoted or self.index.naming(question)  # "who's Matt Codling?": the clause that names them
        if PURPOSE.search(question):  # "what is this policy for?": the statement of intent first
            hits.sort(key=lambda h: h.clause.number != "intent")
        naming = {n.clause for n in named}
        hits = other_policy_within_reach([*named, *(h for h in hits if h.clause not in naming)])[:3]
        covered = bool(named) or (bool(hits) and self.index.answers(hits[0], found.doubted))
        result = SearchResult(found.question, covered, tuple(hits), found.doubted)
        return compose(
            result, self.policies, self.clock(), self.weights.related_within, self.weights.covered_at
        )


    def ask_after(self, text: str, previous: str | None, role: str | None = None) -> tuple[str, Answer]:
        """A message in a conversation, and the question it was answered as. A follow-up ("what about parents?")
        is the question it stands for. Another short message is answered on its own unless the question before
        it helps: read together, they may pick among the clauses the message finds on its own ("will the police
        be involved?" after a question about a nude picture: 9.1 rather than 8.9), a message whose pronoun stands
        for something said before is answered as read together whenever that finds a clause ("who do I report it
        to?"), and a message the policy cannot answer alone is read with the previous question when it points
        back ("does that apply to TAs?", "why?") or is three words or fewer ("who to?"). An unrelated short
        question ("when is the next INSET day?") is never answered from the question before it."""
        if previous and len(text.split()) <= followups.SHORT and self.index.beyond_policies(followups.topic_of(text)):
            return text, self.ask(text, role)  # "and what about the uniform?": a new subject no policy answers
        question = followups.resolve(text, previous)
        alone = self.ask(question, role)
        if not previous or question != text or len(text.split()) > followups.SHORT:
            return question, alone
        mine = alone.cited()
        if not mine and not (followups.leans_on(text) or len(text.split()) <= 3):
            return question, alone  # the question before it could not be used: no second search
        context = followups.with_context(text, previous)
        together = self.ask(context, role, alone=text)
        theirs = together.cited()
        if theirs and (not mine or theirs[0] in mine or followups.points_back(text)):
            return context, together
        return question, alone


def policy_named(question: str, policies: dict[str, Policy]) -> str | None:
    """The policy a question names when the school has several ("what does the anti-bullying policy say about
    ..."): the search then keeps to it. None when it names none, or there is only one."""
    if len(policies) < 2:
        return None
    text = question.lower()
    for code, policy in policies.items():
        name = re.sub(r"\bpolicy\b", "", policy.title.lower()).strip()
        if code.lower() in text.split() or (name and re.search(rf"\b{re.escape(name)} polic", text)):
            return code
    return None


def without_policy_name(question: str, policy: Policy) -> str:
    """"what does the anti-bullying policy say about screenshots?" searched as "screenshots?": the naming
    words would otherwise weigh as much as what is asked about."""
    name = re.escape(re.sub(r"\bpolicy\b", "", policy.title.lower()).strip())
    asked = re.sub(rf"^.*?\b(?:the |our |your |school'?s )?(?:{name}|{re.escape(policy.code.lower())}) polic(?:y|ies)\b"
                   r"(?:\s+(?:says?|said|states?|covers?|tells? (?:us|me))\b)?(?:\s+(?:about|on|regarding|for))?\s*",
                   "", question, flags=re.I)
    return asked if len(asked.split()) >= 2 else question


def other_policy_within_reach(hits: list) -> list:
    """When another policy's best clause is among the hits, it comes within the first three, so an answer that
    two policies give cites both (it is shown only when its score is close to the best: bot.policy.answers)."""
    if not hits:
        return hits
    other = next((h for h in hits[1:] if h.clause.policy != hits[0].clause.policy), None)
    if other is None or hits.index(other) <= 2:
        return hits
    rest = [h for h in hits if h is not other]
    return [*rest[:2], other, *rest[2:]]


_shared: PolicyAssistant | None = None
_shared_lock = threading.Lock()
_corpus_seen: tuple = ()
_corpus_checked = 0.0
CORPUS_CHECK_SECONDS = 5.0


def corpus_signature(folder: Path) -> tuple:
    """What changes when a policy file, its phrasings or the glossary change."""
    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()))
    except OSError:
        return ()


def shared_assistant(clock: Callable[[], float] = time.monotonic) -> PolicyAssistant:
    """The process-wide assistant (the model and index load on first use). When the policy corpus changes (a
    policy imported, then `policybot index`), the next question after at most CORPUS_CHECK_SECONDS is answered
    from the new corpus, without a restart; if its retrieval encoder is not trained yet, or the corpus does not
    load, the previous one keeps answering and the log says why."""
    global _shared, _corpus_seen, _corpus_checked
    with _shared_lock:
        if _shared is None:
            _shared = PolicyAssistant()
            _corpus_seen = corpus_signature(_shared.settings.path(_shared.settings.POLICY_CORPUS_DIR))
            _corpus_checked = clock()
        elif clock() - _corpus_checked >= CORPUS_CHECK_SECONDS:
            _corpus_checked = clock()
            seen = corpus_signature(_shared.settings.path(_shared.settings.POLICY_CORPUS_DIR))
            if seen != _corpus_seen:
                _corpus_seen = seen
                _shared = _reloaded(_shared)
        return _shared


def _reloaded(current: PolicyAssistant) -> PolicyAssistant:
    from bot.policy.corpus import CorpusError
    from bot.policy.tuned import is_trained

    candidate = PolicyAssistant(current.settings, clock=current.clock, weights=current.weights)
    try:
        policies = list(candidate.policies.values())
        if not is_trained(policies, candidate.settings.path(candidate.settings.RETRIEVAL_MODEL_DIR)):
            log.warning("the policy corpus changed, but its retrieval encoder is not trained yet: run `policybot index`;"
                        " answering from the previous corpus until then")
            return current
        _ = candidate.index  # loads here, with the vectors `policybot index` cached
    except CorpusError as problem:
        log.error("the policy corpus changed but does not load (%s); answering from the previous corpus", problem)
        return current
    log.info("the policy corpus changed: now answering from %s", ", ".join(candidate.policies))
    return candidate
