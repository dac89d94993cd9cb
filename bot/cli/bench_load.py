"""`make bench-load`: our stack under concurrent mixed traffic, beside Rasa's bare `rasa init` bot as a yardstick.

Both run on this machine at once, on free loopback ports: our stack as `make run` starts it (as `make bench`
does, chat limits raised, its data in a scratch folder), the yardstick with `rasa run` (bot/cli/yardstick.py).
Each is loaded in turn while the other idles: one user at a time, then 20 and 100 conversations at once
(asyncio and httpx), then a soak of our stack at a modest concurrency for BENCH_SOAK_SECONDS seconds (600 when
unset) with each process's resident memory read before and after. Every figure is printed with its target;
none is asserted (a benchmark, not a test).
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from bot.cli.bench import QUESTIONS, percentile, resident_memory, retrieval_latency, stop_leftovers
from bot.cli.load_traffic import (
    ANSWER_KINDS,
    OPEN,
    Conversation,
    Outcome,
    Step,
    Summary,
    endless_conversations,
    growth,
    judge,
    mixed_conversations,
    payload_for,
    plain_equivalent,
    summarise,
)
from bot.cli.stack import free_port
from bot.cli.yardstick import WEBHOOK, ensure_yardstick, rasa_version, running_yardstick, stop_process_group
from bot.policy.evaluation import load_followups, load_questions
from bot.settings import ROOT, Settings

FOLLOWUPS = ROOT / "tests" / "policy" / "questions_followups.yml"
LEVELS = {20: 200, 100: 400}  # conversations at once: how many conversations that level runs in all
LEVEL_SECONDS = 300.0  # the most a level may take: no conversation starts, and no message is sent, after it
SOLO_CONVERSATIONS = 60  # one user, one message at a time
SOAK_CONCURRENCY = 10
REQUEST_TIMEOUT = 60.0  # the gateway gives up on Rasa after 30 s (RASA_TIMEOUT_SECONDS) and says so
READY_TIMEOUT = 900.0  # make run runs make setup first, which may have something to rebuild
OURS, BARE = "this project", "yardstick (rasa init)"


class Target(Protocol):
    """A chat service the benchmark talks to."""

    name: str

    async def open(self, http: httpx.AsyncClient) -> str:
        """A new conversation's id (raises httpx.HTTPError, KeyError or ValueError when none is given)."""
        ...

    async def send(self, http: httpx.AsyncClient, conversation: str, step: Step, message: str) -> httpx.Response:
        ...

    def messages(self, response: httpx.Response) -> object:
        """What the bot said, from a 2xx reply's body."""
        ...


@dataclass
class Gateway:
    """Our gateway's web chat API, as the page uses it."""

    base: str
    name: str = OURS

    async def open(self, http: httpx.AsyncClient) -> str:
        response = await http.post(f"{self.base}/api/conversations")
        response.raise_for_status()
        return str(response.json()["conversation_id"])

    async def send(self, http: httpx.AsyncClient, conversation: str, step: Step, message: str) -> httpx.Response:
        return await http.post(f"{self.base}/api/chat",
                               json={"conversation_id": conversation, "message": message, "role": step.role})

    def messages(self, response: httpx.Response) -> object:
        body = response.json()
        return body.get("messages") if isinstance(body, dict) else None


@dataclass
class Yardstick:
    """The bare bot's REST channel: the sender names the conversation."""

    base: str
    name: str = BARE

    async def open(self, http: httpx.AsyncClient) -> str:
        return uuid.uuid4().hex

    async def send(self, http: httpx.AsyncClient, conversation: str, step: Step, message: str) -> httpx.Response:
        return await http.post(f"{self.base}{WEBHOOK}", json={"sender": conversation, "message": message})

    def messages(self, response: httpx.Response) -> object:
        return response.json()


@dataclass
class Run:
    """Everything one load run saw: each request's outcome, how long the run took, and for how long every
    worker had a conversation to carry (answers/s is counted over that window, not over the stragglers)."""

    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    busy_seconds: float = 0.0
    conversations: int = 0
    cut_short: bool = False  # the time bound ended it

    def summary(self, kinds: tuple[str, ...] | None = None) -> Summary:
        return summarise(self.outcomes, self.busy_seconds or self.seconds, kinds)


async def send_step(target: Target, http: httpx.AsyncClient, conversation: str, step: Step, previous: object,
                    began: float) -> tuple[Outcome, object]:
    """Send one message (a button's payload when the step presses one); its outcome and what the bot said."""
    message = (payload_for(previous, step.button) or step.message) if step.button else step.message
    start = time.perf_counter()
    try:
        response = await target.send(http, conversation, step, message)
        if not response.is_success:
            return judge(step, _ms(start), response.status_code, None, time.monotonic() - began,
                         error_code(response)), None
        messages = target.messages(response)
    except httpx.TimeoutException:
        return Outcome(step.kind, _ms(start), "timeout", False, time.monotonic() - began), None
    except httpx.HTTPError as problem:
        return Outcome(step.kind, _ms(start), type(problem).__name__, False, time.monotonic() - began), None
    except ValueError:  # a 2xx whose body is not JSON
        return Outcome(step.kind, _ms(start), "unreadable reply", False, time.monotonic() - began), None
    return judge(step, _ms(start), response.status_code, messages, time.monotonic() - began), messages


def error_code(response: httpx.Response) -> str:
    """The error a refusal's JSON body names ({"error": "busy", ...} from the gateway), or ""."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


async def converse(target: Target, http: httpx.AsyncClient, conversation: Conversation, began: float,
                   stop_at: float) -> list[Outcome]:
    """One conversation, message after message, each sent once its reply is in (a person waits for it)."""
    try:
        key = await target.open(http)
    except (httpx.HTTPError, KeyError, ValueError) as problem:
        error = f"HTTP {problem.response.status_code} {error_code(problem.response)}".strip() \
            if isinstance(problem, httpx.HTTPStatusError) else type(problem).__name__
        return [Outcome(OPEN, 0.0, f"{OPEN}: {error}", False, time.monotonic() - began)]
    outcomes, previous = [], None
    for step in conversation.steps:
        if time.monotonic() > stop_at:
            break
        outcome, previous = await send_step(target, http, key, step, previous, began)
        outcomes.append(outcome)
    return outcomes


async def drive(target: Target, conversations: Iterable[Conversation], concurrency: int, seconds: float) -> Run:
    """Carry `concurrency` conversations at once until `conversations` runs out or `seconds` have passed."""
    run, queue = Run(), iter(conversations)
    began = time.monotonic()
    stop_at = began + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker() -> None:
        for conversation in queue:  # one shared iterator: each worker takes the next conversation
            if time.monotonic() > stop_at:
                run.cut_short = True
                break
            run.conversations += 1
            run.outcomes.extend(await converse(target, http, conversation, began, stop_at))
        if not run.busy_seconds:  # the first worker with nothing left to do ends the busy window
            run.busy_seconds = time.monotonic() - began

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as http:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.seconds = time.monotonic() - began
    return run


@dataclass
class Figures:
    solo: dict[str, Run] = field(default_factory=dict)
    levels: dict[int, dict[str, Run]] = field(default_factory=dict)
    soak: Run | None = None
    settings: Settings | None = None  # our stack's, as make run read them
    memory_before: dict[str, float] = field(default_factory=dict)
    memory_after: dict[str, float] = field(default_factory=dict)


async def warm_up(ours: Target, bare: Target, conversations: list[Conversation]) -> None:
    """One conversation of each kind for each system before anything is timed (first calls load things)."""
    firsts = list({c.kind: c for c in conversations}.values())
    await drive(ours, firsts, 1, LEVEL_SECONDS)
    await drive(bare, [plain_equivalent(c) for c in firsts], 1, LEVEL_SECONDS)


async def measure_levels(ours: Target, bare: Target, questions: list, followups: list, figures: Figures) -> None:
    """One user, then each level of concurrency: our stack first, then the yardstick on the same scripts."""
    solo = mixed_conversations(SOLO_CONVERSATIONS, questions, followups, seed=1)
    await warm_up(ours, bare, solo)
    print(f"One user: {len(solo)} conversations, one message at a time ...", flush=True)
    figures.solo = {OURS: await drive(ours, solo, 1, LEVEL_SECONDS),
                    BARE: await drive(bare, [plain_equivalent(c) for c in solo], 1, LEVEL_SECONDS)}
    for level, count in LEVELS.items():
        scripts = mixed_conversations(count, questions, followups, seed=level)
        print(f"{level} conversations at once: {len(scripts)} conversations each ...", flush=True)
        figures.levels[level] = {OURS: await drive(ours, scripts, level, LEVEL_SECONDS),
                                 BARE: await drive(bare, [plain_equivalent(c) for c in scripts], level, LEVEL_SECONDS)}


def soak(ours: Target, ports: dict[str, int], questions: list, followups: list, seconds: float, figures: Figures) -> None:
    """Mixed traffic at SOAK_CONCURRENCY for `seconds`, each process's memory read before and after."""
    print(f"Soak: {SOAK_CONCURRENCY} conversations at once for {seconds:.0f} s ...", flush=True)
    figures.memory_before = resident_memory(ports)
    figures.soak = asyncio.run(drive(ours, endless_conversations(questions, followups, seed=1000), SOAK_CONCURRENCY,
                                     seconds))
    figures.memory_after = resident_memory(ports)


def stack_environment(ports: dict[str, int], data_dir: Path) -> dict[str, str]:
    """make run's environment: free loopback ports, chat limits raised (all traffic comes from 127.0.0.1), and
    its own Redis and SQLite database in a scratch folder, with every notification channel off, so the reports
    the benchmark makes reach no real database, inbox, Slack or Teams."""
    return {**os.environ, "GATEWAY_PORT": str(ports["GATEWAY_PORT"]), "REDIS_PORT": str(ports["REDIS_PORT"]),
            "RASA_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
            "ACTION_SERVER_URL": f"http://127.0.0.1:{ports['ACTION_PORT']}",
            "CHAT_LIMIT_PER_CONVERSATION": "1000", "CHAT_LIMIT_PER_ADDRESS": "1000000",
            "DATA_DIR": str(data_dir), "DATABASE_URL": "", "DATABASE_OWNER_URL": "", "REDIS_URL": "",
            "SMTP_HOST": "", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "", "TEAMS_APP_ID": ""}


def watch_output(runner: subprocess.Popen, said: deque[str], ready: threading.Event) -> None:
    """Read make run's output for as long as it runs (a full pipe would stall it); flag "Ready in"."""
    for line in runner.stdout or ():
        said.append(line)
        if line.startswith("Ready in"):
            ready.set()


@contextmanager
def our_stack(data_dir: Path) -> Iterator[dict[str, int]]:
    """`make run` on free loopback ports until the block ends; its ports. Stopped whatever happens: Ctrl-C as a
    person would, SIGKILL if that is not enough, then bench.py's sweep for anything still listening."""
    ports = {"GATEWAY_PORT": free_port(), "RASA_PORT": free_port(), "ACTION_PORT": free_port(), "REDIS_PORT": free_port()}
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    runner = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=stack_environment(ports, data_dir),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    said: deque[str] = deque(maxlen=20)
    ready = threading.Event()
    threading.Thread(target=watch_output, args=(runner, said, ready), daemon=True).start()
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.wait(0.5):
            if runner.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("make run did not become ready; it said:\n" + "".join(said))
        yield ports
    finally:
        stop_process_group(runner, signal.SIGINT)
        stop_leftovers(ports)


def run_all(soak_seconds: float) -> Figures:
    """Start both systems, measure, stop both (the scratch folder goes last)."""
    questions, followups = load_questions(QUESTIONS), load_followups(FOLLOWUPS)
    ensure_yardstick()  # trained (once) before our stack starts, so the two do not share the CPU
    figures = Figures()
    with ExitStack() as running:
        scratch = Path(running.enter_context(tempfile.TemporaryDirectory(prefix="policybot-bench-load-")))
        print("Starting our stack (make run) and the yardstick (rasa run) on free loopback ports ...", flush=True)
        ports = running.enter_context(our_stack(scratch / "data"))
        figures.settings = Settings.from_env(stack_environment(ports, scratch / "data"))
        bare_base = running.enter_context(running_yardstick(free_port(), scratch / "yardstick.log"))
        ours, bare = Gateway(f"http://127.0.0.1:{ports['GATEWAY_PORT']}"), Yardstick(bare_base)
        asyncio.run(measure_levels(ours, bare, questions, followups, figures))
        soak(ours, ports, questions, followups, soak_seconds, figures)
    return figures


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def errors_text(summary: Summary) -> str:
    """The error count, with what the errors were."""
    if not summary.errors:
        return "0"
    kinds = ", ".join(f"{what} x{n}" for what, n in summary.errors.most_common())
    return f"{summary.error_count} ({kinds})"


def ratio(top: float, bottom: float) -> str:
    return "-" if not bottom or math.isnan(top) or math.isnan(bottom) else f"{top / bottom:.2f}"


def print_setup(figures: Figures) -> None:
    settings = figures.settings or Settings()
    print(f"\nLoad on this machine ({os.cpu_count()} CPUs), the client here too: our stack as make run starts it "
          f"({settings.RASA_SERVERS} Rasa server(s), {settings.ACTION_SERVER_SANIC_WORKERS} action-server worker(s), "
          f"{settings.GATEWAY_WORKERS} gateway worker(s) taking {settings.GATEWAY_MAX_CONCURRENT} requests at once, "
          "Redis tracker and lock stores, SQLite, both in a scratch folder), and Rasa's bare rasa init bot (utter "
          f"responses, in-memory stores) on the same Rasa {rasa_version()}; each loaded while the other idles.")


def print_solo(figures: Figures) -> None:
    ours, bare = figures.solo[OURS], figures.solo[BARE]
    answers, everything, utter = ours.summary(ANSWER_KINDS), ours.summary(), bare.summary()
    print(f"\nOne user, one message at a time ({ours.conversations} conversations each; latency of answered messages)")
    print("| system                                 | messages | p50 (ms) | p95 (ms) | errors")
    print("|----------------------------------------|----------|----------|----------|-------")
    for label, s in ((f"{OURS}, policy answers", answers), (f"{OURS}, every message", everything),
                     (f"{BARE}, utter responses", utter)):
        print(f"| {label:<38} | {s.messages:8d} | {ms(s.p50):>8} | {ms(s.p95):>8} | {errors_text(s)}")
    print(f"| our answer p50 / yardstick's p50       | {ratio(answers.p50, utter.p50)}  (target <= 1.5)")
    print(f"| our message p50 / yardstick's p50      | {ratio(everything.p50, utter.p50)}  (every kind of message)")


def print_levels(figures: Figures) -> None:
    print("\nConversations at once (each sends its messages in turn, waiting for every reply; answers/s while every "
          "worker had a conversation; latency of answered messages; errors: non-2xx, timeouts, replies with no bot "
          "message; off script: answered, but not with what the e2e conversation expects there)")
    print("| at once | system                | conversations | messages | answers/s | p50 (ms) | p95 (ms) | p99 (ms) "
          "| off script | errors")
    print("|---------|-----------------------|---------------|----------|-----------|----------|----------|----------"
          "|------------|-------")
    for level, runs in figures.levels.items():
        for name, run in runs.items():
            s = run.summary()
            cut = " (time bound hit)" if run.cut_short else ""
            print(f"| {level:7d} | {name:<21} | {run.conversations:13d} | {s.messages:8d} | {s.answers_per_s:9.1f} | "
                  f"{ms(s.p50):>8} | {ms(s.p95):>8} | {ms(s.p99):>8} | {s.off_script:10d} | {errors_text(s)}{cut}")
    first = min(figures.levels)
    ours, bare = figures.levels[first][OURS].summary(), figures.levels[first][BARE].summary()
    print(f"| our answers/s at {first} / yardstick's at {first}: {ratio(ours.answers_per_s, bare.answers_per_s)}"
          "  (target >= 0.6)")
    if any("busy" in error for runs in figures.levels.values() for run in runs.values() for error in run.summary().errors):
        settings = figures.settings or Settings()
        print(f"(HTTP 503 busy: the gateway refusing requests beyond GATEWAY_MAX_CONCURRENT={settings.GATEWAY_MAX_CONCURRENT} "
              "at once, as it is built to)")
    print_kinds(figures)


def print_kinds(figures: Figures) -> None:
    """Our stack's latency by kind of message at each level (a report step and a policy answer differ)."""
    print(f"\n{OURS}, by kind of message")
    print("| at once | kind      | messages | p50 (ms) | p95 (ms) | errors")
    print("|---------|-----------|----------|----------|----------|-------")
    levels = {1: figures.solo[OURS], **{level: runs[OURS] for level, runs in figures.levels.items()}}
    for level, run in levels.items():
        for kind in ("question", "follow-up", "report", "induction"):
            s = run.summary((kind,))
            print(f"| {level:7d} | {kind:<9} | {s.messages:8d} | {ms(s.p50):>8} | {ms(s.p95):>8} | {errors_text(s)}")


def print_soak(figures: Figures, seconds: float) -> None:
    run = figures.soak
    if run is None:
        return
    s = run.summary()
    print(f"\nSoak: {SOAK_CONCURRENCY} conversations at once for {seconds:.0f} s ({run.conversations} conversations, "
          f"{s.messages} messages, {s.answers_per_s:.1f} answers/s, p50 {ms(s.p50)} ms, p95 {ms(s.p95)} ms, "
          f"errors {errors_text(s)}, off script {s.off_script})")
    print("| process  | resident at start (MiB) | at end (MiB) | growth")
    print("|----------|-------------------------|--------------|-------")
    grew = growth(figures.memory_before, figures.memory_after)
    for name in sorted(figures.memory_before):
        after = figures.memory_after.get(name, math.nan)
        change = f"{grew[name]:+.1f}%" if name in grew else "-"
        print(f"| {name:<8} | {figures.memory_before[name]:23.0f} | {after:12.0f} | {change}  (target < 5%)")
    before, after_all = sum(figures.memory_before.values()), sum(figures.memory_after.values())
    print(f"| all      | {before:23.0f} | {after_all:12.0f} | {100 * (after_all - before) / before:+.1f}%  "
          "(stack target <= 1300 MiB)")
    print("(redis holds each conversation's tracker for CONVERSATION_KEEP_HOURS, so it grows with the conversations "
          "of the run)")


def print_retrieval() -> None:
    """Retrieval per question in this process, as the action answers, with the retrieval encoder in float32 (the
    default, exactly as trained) and in 8 bits (RETRIEVAL_PRECISION=int8), on the default two threads and on one
    (ENCODER_THREADS), before any server starts."""
    questions = load_questions(QUESTIONS)
    print("Retrieval per question (PolicyAssistant.ask, as the action answers; 3 rounds of "
          f"{len(questions)} questions, one process, nothing else running)")
    print("| RETRIEVAL_PRECISION | ENCODER_THREADS | p50 (ms) | p95 (ms)")
    print("|---------------------|-----------------|----------|---------")
    for precision, threads in (("float32", "2"), ("float32", "1"), ("int8", "2")):
        timings = retrieval_latency(questions, Settings.from_env(
            {**os.environ, "RETRIEVAL_PRECISION": precision, "ENCODER_THREADS": threads}))
        print(f"| {precision:<19} | {threads:<15} | {percentile(timings, 50):8.1f} | {percentile(timings, 95):8.1f}")
    print("Target: p50 <= 5 ms (the defaults: float32, two threads).\n", flush=True)


def main() -> None:
    soak_seconds = float(os.environ.get("BENCH_SOAK_SECONDS") or 600)
    print_retrieval()
    figures = run_all(soak_seconds)
    print_setup(figures)
    print_solo(figures)
    print_levels(figures)
    print_soak(figures, soak_seconds)


if __name__ == "__main__":
    main()
