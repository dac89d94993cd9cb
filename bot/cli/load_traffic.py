"""What `make bench-load` sends and how it counts what comes back (no servers here: pure functions).

Our stack gets conversations as the web chat sees them (tests/e2e shows each one end to end): a policy
question, a question and its follow-up, a full incident report, a question whose answer offers "Report this"
(the button's payload sent, then the report cancelled), and the induction's payloads (which the web chat
turns down: the induction is taken in Slack or Teams). The yardstick gets a conversation of plain messages
("hello", "I am sad", ...) of the same length for each of ours, so both answer the same number of messages.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from bot.cli.bench import percentile

ANSWER_KINDS = ("question", "follow-up")  # messages answered from the policy
OPEN = "new conversation"  # POST /api/conversations: may fail (an error), never an answer


@dataclass(frozen=True)
class Step:
    """One message of a conversation."""

    message: str
    kind: str  # question, follow-up, report, induction (ours); plain (the yardstick's)
    role: str = "staff"
    expect: str = ""  # words the reply holds when the conversation goes as scripted ("": anything)
    button: str = ""  # send the payload of the previous reply's button with this title, as the page does


@dataclass(frozen=True)
class Conversation:
    kind: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Outcome:
    """What happened to one request."""

    kind: str
    ms: float  # from sending to the whole reply read
    error: str = ""  # "" when the bot answered; else what went wrong (HTTP 503, timeout, no bot message, ...)
    on_script: bool = True  # the reply held what the script expected
    at: float = 0.0  # seconds after the run began that it finished


@dataclass(frozen=True)
class Summary:
    messages: int  # messages sent (conversations opened are not messages)
    answered: int  # of which the bot answered
    answers_per_s: float
    p50: float
    p95: float
    p99: float
    errors: Counter[str] = field(default_factory=Counter)
    off_script: int = 0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def friend_request_report() -> tuple[Step, ...]:
    """A member of staff reports a pupil's friend request, from the first message to the saved report."""
    steps = [
        ("I want to report a pupil who sent me a friend request", "immediate danger"),
        ("no", "When did it happen"),
        ("yesterday at 3pm", "Who was involved"),
        ("a Year 6 pupil", "What happened"),
        ("Jamie in Year 6 sent me a friend request on Instagram at 9pm", "evidence"),
        ("yes", "your name"),
        ("Sam Jones", "contact you"),
        ("sam.jones@school.example", "Here is your report"),
        ("yes", "Your report is saved as"),
    ]
    return tuple(Step(message, "report", "staff", expect) for message, expect in steps)


def cyberbullying_report() -> tuple[Step, ...]:
    """A parent reports their son's cyberbullying, the kind read from their words, to the saved report."""
    steps = [
        ("I need to report something", "immediate danger"),
        ("no", "What kind"),
        ("my son is being bullied on whatsapp by boys in his class", "When did it happen"),
        ("yesterday after school", "Where did it happen"),
        ("outside school", "Who was involved"),
        ("some boys in his class", "What happened"),
        ("They keep sending him nasty messages in a group chat every evening", "evidence"),
        ("yes", "your name"),
        ("Pat Doe", "contact you"),
        ("pat.doe@example.com", "Here is your report"),
        ("yes", "Your report is saved as"),
    ]
    return tuple(Step(message, "report", "parent", expect) for message, expect in steps)


def offered_report() -> tuple[Step, ...]:
    """Something that happened is answered with "Report this"; the button is pressed, then the report cancelled."""
    return (Step("a pupil sent me a friend request", "question", "staff", "Would you like to report this?"),
            Step("Report this", "report", "staff", "immediate danger", button="Report this"),
            Step("cancel the report", "report", "staff", "nothing was saved"))


def web_induction() -> tuple[Step, ...]:
    """The induction's payloads typed into the web chat (it is turned down there), then a question."""
    return (Step("/start_induction", "induction", "staff", "taken in Slack or Microsoft Teams"),
            Step("start induction", "induction", "staff"),
            Step("/continue_induction", "induction", "staff"),
            Step("can I friend a parent?", "question", "staff", "D200 5.3"))


MIX = (("question", 8), ("follow-up", 5), ("report", 4), ("induction", 3))  # conversations in every twenty
GENERIC_FOLLOW_UP = "what about parents?"


def question_conversation(rng: random.Random, questions: Sequence) -> Conversation:
    """One labelled question (tests/policy/questions.yml), asked by its role."""
    q = rng.choice(questions)
    return Conversation("question", (Step(q.question, "question", q.role),))


def follow_up_conversation(rng: random.Random, questions: Sequence, followups: Sequence) -> Conversation:
    """A question and a follow-up: a labelled pair (questions_followups.yml), or "what about parents?" after
    a member of staff's question."""
    if followups and rng.random() < 0.5:
        pair = rng.choice(followups)
        return Conversation("follow-up", (Step(pair.first, "question", pair.role),
                                          Step(pair.question, "follow-up", pair.role)))
    q = rng.choice([q for q in questions if q.role == "staff"] or list(questions))
    return Conversation("follow-up", (Step(q.question, "question", q.role),
                                      Step(GENERIC_FOLLOW_UP, "follow-up", q.role)))


def report_conversation(rng: random.Random) -> Conversation:
    script = rng.choice((friend_request_report, cyberbullying_report, offered_report))
    return Conversation("report", script())


def mixed_conversations(count: int, questions: Sequence, followups: Sequence, seed: int) -> list[Conversation]:
    """`count` conversations in MIX's proportions, in a shuffled order fixed by `seed`."""
    rng = random.Random(seed)
    pattern = [kind for kind, n in MIX for _ in range(n)]
    kinds = [pattern[i % len(pattern)] for i in range(count)]
    rng.shuffle(kinds)
    made = {"question": lambda: question_conversation(rng, questions),
            "follow-up": lambda: follow_up_conversation(rng, questions, followups),
            "report": lambda: report_conversation(rng),
            "induction": lambda: Conversation("induction", web_induction())}
    return [made[kind]() for kind in kinds]


def endless_conversations(questions: Sequence, followups: Sequence, seed: int) -> Iterator[Conversation]:
    """Mixed conversations for as long as they are wanted (the soak)."""
    batch = seed
    while True:
        yield from mixed_conversations(len(MIX) * 20, questions, followups, batch)
        batch += 1


PLAIN = (("hello", "How are you"), ("I am sad", "cheer you up"), ("yes", "carry on"), ("are you a bot?", "I am a bot"),
         ("great", "carry on"), ("bye", "Bye"))  # rasa init's intents, in an order its stories answer every time


def plain_equivalent(conversation: Conversation) -> Conversation:
    """The yardstick's counterpart of one of our conversations: as many plain messages."""
    steps = tuple(Step(PLAIN[i % len(PLAIN)][0], "plain", expect=PLAIN[i % len(PLAIN)][1])
                  for i in range(len(conversation.steps)))
    return Conversation("plain", steps)


def has_bot_message(messages: object) -> bool:
    """Did the reply carry anything the bot said (text, an image or buttons)?"""
    return isinstance(messages, list) and any(
        isinstance(m, dict) and (m.get("text") or m.get("image") or m.get("buttons")) for m in messages)


def judge(step: Step, ms: float, status: int, messages: object, at: float = 0.0, code: str = "") -> Outcome:
    """One reply as the benchmark counts it: an error unless a 2xx came back with something the bot said.
    `code` is the error the body of a refusal names (the gateway's "busy", "no_reply", ...)."""
    if not 200 <= status < 300:
        return Outcome(step.kind, ms, f"HTTP {status} {code}".strip(), False, at)
    if not has_bot_message(messages):
        return Outcome(step.kind, ms, "no bot message", False, at)
    said = " ".join(str(m.get("text") or "") for m in messages if isinstance(m, dict)) if isinstance(messages, list) else ""
    return Outcome(step.kind, ms, "", step.expect.lower() in said.lower(), at)


def payload_for(messages: object, title: str) -> str | None:
    """The payload of the button called `title` in a reply, as the web page sends it when pressed."""
    if not isinstance(messages, list):
        return None
    buttons = [b for m in messages if isinstance(m, dict) for b in m.get("buttons") or [] if isinstance(b, dict)]
    return next((str(b["payload"]) for b in buttons if b.get("title") == title and b.get("payload")), None)


def _percentile(values: list[float], p: float) -> float:
    return percentile(values, p) if values else math.nan


def summarise(outcomes: Iterable[Outcome], seconds: float, kinds: Sequence[str] | None = None) -> Summary:
    """Figures for a run: answers/s over its first `seconds` (the answers finished by then), latency percentiles
    of every answered message (errors are counted, not timed), errors by what went wrong. `kinds` keeps only
    messages of those kinds."""
    chosen = list(outcomes) if kinds is None else [o for o in outcomes if o.kind in kinds]
    sent = [o for o in chosen if o.kind != OPEN]
    answered = [o for o in sent if not o.error]
    timed = [o.ms for o in answered]
    in_time = sum(1 for o in answered if o.at <= seconds)
    return Summary(
        messages=len(sent), answered=len(answered),
        answers_per_s=in_time / seconds if seconds > 0 else math.nan,
        p50=_percentile(timed, 50), p95=_percentile(timed, 95), p99=_percentile(timed, 99),
        errors=Counter(o.error for o in chosen if o.error),
        off_script=sum(1 for o in answered if not o.on_script),
    )


def growth(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Per process, how much resident memory grew from `before` to `after`, in % (processes seen both times)."""
    return {name: (after[name] - before[name]) / before[name] * 100 for name in before if name in after and before[name]}
