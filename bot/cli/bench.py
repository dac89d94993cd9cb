"""`make bench`: retrieval quality against two baselines, safeguarding triage, latency, memory, start-up time.

Every figure is measured in this run, on this machine, on tests/policy/questions.yml.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

from bot.cli.chat_quality import ChatQuality, Row, ask_all, load_rows, score
from bot.cli.hostile import hostile_bodies
from bot.cli.peer import measure as measure_peer
from bot.cli.stack import free_port
from bot.cli.triage_bench import print_triage
from bot.policy.assistant import PolicyAssistant
from bot.policy.corpus import load_corpus
from bot.policy.embeddings import MiniLMEncoder
from bot.policy.evaluation import Quality, evaluate, load_followups, load_questions, measure, refusal_tradeoff, search_all
from bot.policy.glossary import Glossary
from bot.policy.retrieval import PolicyIndex, Weights
from bot.settings import ROOT, Settings

QUESTIONS = ROOT / "tests" / "policy" / "questions.yml"
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"


def best_threshold(index: PolicyIndex, questions) -> tuple[float, Quality]:
    """For a baseline, the refusal threshold that suits it best on this set (in its favour)."""
    results = search_all(index, questions)
    candidates = np.unique(np.round([r.hits[0].score for r in results], 3))
    scored = []
    for t in candidates:
        quality = measure(questions, results, float(t))
        scored.append((quality.not_covered_right + 1 - quality.wrongly_refused + quality.hit_at_1, float(t), quality))
    _, threshold, quality = max(scored, key=lambda row: row[0])
    return threshold, quality


def quality_rows(questions) -> list[tuple[str, Quality, str]]:
    packaged = MiniLMEncoder()
    tuned = PolicyAssistant().encoder
    policies = load_corpus(ROOT / "policy_corpus")
    glossary = Glossary.load(ROOT / "policy_corpus" / "glossary.yml")
    cache = Settings().path(Settings().INDEX_CACHE_DIR)
    rows = [("hybrid (this project)", evaluate(PolicyAssistant(encoder=tuned).index, questions),
             f"threshold {Weights().covered_at}")]
    index = PolicyIndex(policies, packaged, glossary, cache, Weights())
    threshold, quality = best_threshold(index, questions)
    rows.append(("hybrid, packaged MiniLM", quality, f"best threshold for it: {threshold:g}"))
    for mode, label, encoder in (("keyword", "BM25 alone", packaged), ("dense", "MiniLM cosine alone", packaged),
                                 ("dense", "fine-tuned MiniLM alone", tuned)):
        index = PolicyIndex(policies, encoder, glossary, cache, Weights(), mode=mode)
        threshold, quality = best_threshold(index, questions)
        rows.append((label, quality, f"best threshold for it: {threshold:g}"))
    return rows


CROSS_GROUP = ROOT / "tests" / "policy" / "questions_cross_group.yml"
CROSS_GROUP_FRESH = ROOT / "tests" / "policy" / "questions_cross_group_fresh.yml"


def cross_group(assistant: PolicyAssistant, path: Path = CROSS_GROUP) -> tuple[int, float, float, float]:
    """Questions one group asks about another's rules: hit@1 and hit@3 as the assistant answers (reading who the
    question is about), and hit@1 when only the asker's role counts (the baseline)."""
    questions = load_questions(path)
    hit1 = hit3 = asker = 0
    for q in questions:
        shown = assistant.ask(q.question, q.role).cited()
        hit1 += bool(shown) and shown[0] in q.expect
        hit3 += any(s in q.expect for s in shown[:3])
        best = assistant.index.search(q.question, q.role, k=1).best
        asker += best is not None and best.clause.id in q.expect
    n = max(len(questions), 1)
    return len(questions), hit1 / n, hit3 / n, asker / n


def print_cross_group(assistant: PolicyAssistant) -> None:
    print("Whose rule: questions asked by one group about another's rules, written from the policy alone")
    print("| set                                      | n   | hit@1 reading who it is about | hit@3 | hit@1 asker's role only")
    print("|------------------------------------------|-----|-------------------------------|-------|------------------------")
    for path, label in ((CROSS_GROUP, "questions_cross_group (rules built on it)"),
                        (CROSS_GROUP_FRESH, "questions_cross_group_fresh (unseen)")):
        if path.exists():
            n, hit1, hit3, asker = cross_group(assistant, path)
            print(f"| {label:<40} | {n:<3} | {hit1:<29.3f} | {hit3:.3f} | {asker:.3f}")
    print("Target: hit@1 >= 0.90\n")


def print_followups(assistant: PolicyAssistant) -> None:
    """Follow-ups read after their first question, and short questions after an unrelated one."""
    from bot.policy.evaluation import boundary, followups_right, load_followups, short_after_unrelated
    from bot.policy.followups import SHORT

    rows = load_followups(ROOT / "tests" / "policy" / "questions_followups.yml")
    questions = load_questions(QUESTIONS) + load_questions(ROOT / "tests" / "policy" / "questions_tuning.yml")
    after, alone, n = short_after_unrelated(assistant, questions, SHORT)
    print("Conversations: a short message read with the question before it only when that helps")
    print("| measure                                                         | figure")
    print("|-----------------------------------------------------------------|-------")
    print(f"| follow-ups right (tests/policy/questions_followups.yml, {len(rows)})     | "
          f"{followups_right(assistant, rows):.3f}")
    fresh = load_followups(ROOT / "tests" / "policy" / "questions_followups_fresh.yml")
    print(f"| follow-ups right (questions_followups_fresh.yml, {len(fresh)}; held-out half) | "
          f"{followups_right(assistant, fresh):.3f} ({followups_right(assistant, fresh[1::2]):.3f})")
    third = load_followups(ROOT / "tests" / "policy" / "questions_followups_third.yml")
    print(f"| follow-ups right (questions_followups_third.yml, {len(third)}; held-out half) | "
          f"{followups_right(assistant, third):.3f} ({followups_right(assistant, third[1::2]):.3f})")
    fourth = load_followups(ROOT / "tests" / "policy" / "questions_followups_fourth.yml")
    print(f"| follow-ups right (questions_followups_fourth.yml, {len(fourth)}; all held out) | "
          f"{followups_right(assistant, fourth):.3f}")
    print(f"| short questions right after an unrelated one (team's sets)      | {after}/{n} "
          f"(on their own: {alone}/{n})\n")
    refused, uncovered, right, wrongly, covered = boundary(
        assistant, load_questions(ROOT / "tests" / "policy" / "questions_boundary.yml"))
    print("Questions near the policy's edge (tests/policy/questions_boundary.yml, written fresh, never tuned on)")
    print(f"| not covered refused {refused}/{uncovered} ({refused / max(uncovered, 1):.3f}) | covered: right clause first "
          f"{right}/{covered} ({right / max(covered, 1):.3f}), refused {wrongly}/{covered}\n")


REFUSAL_SETS = [ROOT / "tests" / "policy" / "questions_boundary.yml"] + [
    ROOT / "tests" / "safeguarding" / f"ordinary_{name}.yml" for name in ("fresh", "sensitive", "unseen")]


def print_refusal_tradeoff(assistant: PolicyAssistant) -> None:
    """What refusing more uncovered questions costs: the refusal threshold raised, on the held-out question sets."""

    questions = [q for path in REFUSAL_SETS for q in load_questions(path)]
    rows = refusal_tradeoff(assistant, questions, [assistant.weights.covered_at, 0.5, 0.55, 0.6, 0.65, 0.7])
    print("What refusing more costs: the refusal threshold (covered_at) raised, on the held-out sets questions_boundary "
          "and ordinary_fresh, _sensitive and _unseen (never tuned on), answered as users get them")
    print("| covered_at | not covered refused | covered wrongly refused | hit@1")
    print("|------------|---------------------|-------------------------|------")
    for r in rows:
        print(f"| {r.covered_at:10.2f} | {r.not_covered_refused:3d}/{r.not_covered} "
              f"({r.not_covered_refused / max(r.not_covered, 1):.3f})   | {r.covered_refused:3d}/{r.covered} "
              f"({r.covered_refused / max(r.covered, 1):.3f})         | {r.hit_at_1:.3f}")
    print("Targets on the dev set: not covered refused >= 0.95 with covered wrongly refused <= 0.03.\n")


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def retrieval_latency(questions, settings: Settings | None = None) -> list[float]:
    """Milliseconds per question through PolicyAssistant.ask (what the action calls), three rounds, warm."""
    assistant = PolicyAssistant(settings)
    assistant.ask("warm up", "staff")
    timings = []
    for _ in range(3):
        for q in questions:
            began = time.perf_counter()
            assistant.ask(q.question, q.role)
            timings.append((time.perf_counter() - began) * 1000)
    return timings


def stack_figures(questions, sets: dict[str, list[Row]]) -> dict:
    ports = {"GATEWAY_PORT": free_port(), "RASA_PORT": free_port(), "ACTION_PORT": free_port(), "REDIS_PORT": free_port()}
    env = {**os.environ, "GATEWAY_PORT": str(ports["GATEWAY_PORT"]), "REDIS_PORT": str(ports["REDIS_PORT"]),
           "RASA_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
           "ACTION_SERVER_URL": f"http://127.0.0.1:{ports['ACTION_PORT']}",
           "CHAT_LIMIT_PER_CONVERSATION": "100000", "CHAT_LIMIT_PER_ADDRESS": "100000"}
    began = time.monotonic()
    runner = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    figures: dict = {}
    said: list[str] = []
    try:
        for line in runner.stdout or ():  # stdout=PIPE always gives a stream; without one, "not ready" below
            said.append(line)
            if line.startswith("Ready in"):
                figures["ready_s"] = time.monotonic() - began
                break
            if runner.poll() is not None:
                break
        if "ready_s" not in figures:
            raise SystemExit("make run did not become ready; it said:\n" + "".join(said[-15:]))
        base = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"
        timings = []
        with httpx.Client(timeout=60) as http:
            for q in questions[:60]:  # one conversation each: a question that starts a report must not
                conversation = http.post(f"{base}/api/conversations").json()["conversation_id"]  # swallow the rest
                began = time.perf_counter()
                http.post(f"{base}/api/chat", json={"conversation_id": conversation, "message": q.question,
                                                    "role": q.role})
                timings.append((time.perf_counter() - began) * 1000)
        figures["chat_ms"] = timings
        figures["rss"] = resident_memory(ports)
        figures["hostile"] = hostile_bodies(ports["GATEWAY_PORT"], gateway_pid(ports["GATEWAY_PORT"]))
        figures["quality"] = {name: score(rows, ask_all(base, rows)) for name, rows in sets.items()}
    finally:
        for stop in (signal.SIGINT, signal.SIGKILL):  # Ctrl-C as a person would, then no more waiting
            if runner.poll() is None:
                os.killpg(runner.pid, stop)
            try:
                runner.wait(60)
                break
            except subprocess.TimeoutExpired:
                continue
        stop_leftovers(ports)
    return figures


FOLLOW_UP_SETS = tuple(ROOT / "tests" / "policy" / f"questions_followups{tail}.yml"
                       for tail in ("", "_fresh", "_third", "_fourth"))


def chat_sets(questions) -> dict[str, list[Row]]:
    """Our own questions, our four follow-up sets (each after its first question), and the independent set beside
    ../shared when it is there (measured, never tuned on)."""
    sets = {"own questions": [Row(q.question, q.role, tuple(e.split()[-1] for e in q.expect)) for q in questions],
            "own follow-ups": [Row(f.question, f.role, tuple(sorted(e.split()[-1] for e in f.expect)), f.first)
                               for path in FOLLOW_UP_SETS for f in load_followups(path)]}
    if DEV.exists():
        sets["dev set (independent)"] = load_rows(DEV)
    return sets


def print_chat_quality(quality: dict[str, ChatQuality]) -> None:
    print("\nAnswers as users meet them: every question sent through /api/chat of the running stack (Rasa's NLU and "
          "dialogue, the triage, the actions), one conversation each; a follow-up after its first question")
    print("| set                    | n   | hit@1 | hit@3 | not covered refused | wrongly refused | about the policy "
          "| follow-ups | reports started")
    print("|------------------------|-----|-------|-------|---------------------|-----------------|------------------"
          "|------------|----------------")
    for name, q in quality.items():
        firsts = [f"{q.hit_at_1:.3f}", f"{q.hit_at_3:.3f}", f"{q.not_covered_refused:.3f}", f"{q.wrongly_refused:.3f}"]
        firsts = firsts if q.first_questions else ["-"] * 4  # a set of follow-ups only
        print(f"| {name:<22} | {q.questions:3d} | {firsts[0]:>5} | {firsts[1]:>5} | {firsts[2]:>19} | {firsts[3]:>15} "
              f"| {_figure(q.meta_right):>16} | {_figure(q.follow_ups_right):>10} | {q.reports_started:d}")
    print("Targets on the dev set: hit@1 >= 0.90, hit@3 >= 0.97, not covered refused >= 0.95, wrongly refused <= 0.03, "
          "follow-ups >= 0.90, no question starting a report.\n")


def print_peer(sets: dict[str, list[Row]]) -> None:
    started = time.monotonic()
    peer = measure_peer(load_corpus(ROOT / "policy_corpus"), sets, "own questions")
    print(f"The peer: Rasa's ResponseSelector, one retrieval intent per clause, trained on the same phrasings "
          f"({time.monotonic() - started:.0f} s to train and ask); one message at a time, follow-ups joined to "
          "their first question")
    print("| set                    | peer refuses below | hit@1 | hit@3 | not covered refused | wrongly refused | "
          "follow-ups")
    print("|------------------------|--------------------|-------|-------|---------------------|-----------------|"
          "-----------")
    for name, rows in peer.items():
        for q in rows:
            print(f"| {name:<22} | {q.threshold:18.3f} | {q.hit_at_1:.3f} | {q.hit_at_3:.3f} | "
                  f"{q.not_covered_refused:19.3f} | {q.wrongly_refused:15.3f} | {_figure(q.follow_ups_right):>10}")
    print("(the second row of each set refuses below the confidence that suits the peer best on our own questions)\n")


def _figure(value: float | None) -> str:
    return "none asked" if value is None else f"{value:.3f}"


def stop_leftovers(ports: dict) -> None:
    """Whatever of this run's stack is still listening once `make run` has gone (it is stopped with the run)."""
    wanted = {str(port) for port in ports.values()}
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        try:
            gateway = process.environ().get("GATEWAY_PORT") == str(ports["GATEWAY_PORT"])  # the outbox worker
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            gateway = False
        if ("--port" in cmdline and wanted & set(cmdline)) or (gateway and "worker" in cmdline) \
                or is_redis(cmdline, ports["REDIS_PORT"]):
            found.append(process)
    for process in found:
        process.terminate()
    psutil.wait_procs(found, timeout=30)


def gateway_pid(port: int) -> int:
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "bot.gateway.serve" in cmdline and str(port) in cmdline:
            return process.pid
    raise SystemExit("the gateway process was not found")


def is_redis(cmdline: list[str], port: int) -> bool:
    """The Redis make run started (it shows itself as `redis-server 127.0.0.1:<port>`)."""
    line = " ".join(part for part in cmdline if part)
    return line.startswith("redis-server") and line.endswith(f":{port}")


def resident_memory(ports: dict) -> dict[str, float]:
    """Resident memory (MiB) of each process of the stack make run started on these ports: Rasa, the action
    server and the gateway (each with its worker processes), Redis, the outbox worker and the launcher."""
    wanted = {"rasa": str(ports["RASA_PORT"]), "actions": str(ports["ACTION_PORT"]),
              "gateway": str(ports["GATEWAY_PORT"])}
    found: dict[str, float] = {}
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        try:
            for name, port in wanted.items():
                if port in cmdline and "--port" in cmdline:
                    tree = [process, *process.children(recursive=True)]
                    found[name] = sum(p.memory_info().rss for p in tree if p.is_running()) / 2**20
                    launcher = process.parent() if name == "gateway" else None
                    if launcher is not None:
                        found["launcher"] = launcher.memory_info().rss / 2**20  # policybot run
            if is_redis(cmdline, ports["REDIS_PORT"]):
                found["redis"] = process.memory_info().rss / 2**20
            if "bot.cli.main" in cmdline and "worker" in cmdline \
                    and process.environ().get("GATEWAY_PORT") == str(ports["GATEWAY_PORT"]):
                found["worker"] = process.memory_info().rss / 2**20
        except psutil.Error:
            continue
    return found


def main() -> None:
    questions = load_questions(QUESTIONS)
    covered = sum(1 for q in questions if q.expect)
    print(f"Retrieval quality on {len(questions)} labelled questions ({covered} covered, "
          f"{len(questions) - covered} not covered)\n")
    print(f"| {'method':<24} | hit@1 | hit@3 | not covered refused | covered wrongly refused | note")
    print(f"|{'-' * 26}|-------|-------|---------------------|-------------------------|-----")
    for label, q, note in quality_rows(questions):
        print(f"| {label:<24} | {q.hit_at_1:.3f} | {q.hit_at_3:.3f} | {q.not_covered_right:19.3f} | "
              f"{q.wrongly_refused:23.3f} | {note}")
    print("\nTargets: hit@1 >= 0.85, hit@3 >= 0.95, not covered >= 0.90, wrongly refused <= 0.05\n")
    print_triage(MiniLMEncoder())
    assistant = PolicyAssistant()  # as the actions answer: the fine-tuned retrieval encoder
    print_cross_group(assistant)
    print_followups(assistant)
    print_refusal_tradeoff(assistant)

    timings = retrieval_latency(questions)
    sets = chat_sets(questions)
    figures = stack_figures(questions, sets)
    chat = figures["chat_ms"]
    print("| measure                                   | figure")
    print("|-------------------------------------------|-------")
    settings = Settings.from_env()
    print(f"| retrieval per question, p50 / p95 (ms)    | {percentile(timings, 50):.1f} / {percentile(timings, 95):.1f}"
          f"  (target p50 <= 5; {settings.RETRIEVAL_PRECISION}, ENCODER_THREADS={settings.ENCODER_THREADS})")
    print(f"| /api/chat single user, p50 / p95 (ms)     | {percentile(chat, 50):.0f} / {percentile(chat, 95):.0f}"
          f"  ({len(chat)} requests, all processes warm)")
    for name, mib in sorted(figures["rss"].items()):
        print(f"| resident memory, {name:<24} | {mib:.0f} MiB")
    print(f"| resident memory, the whole stack         | {sum(figures['rss'].values()):.0f} MiB  (target <= 1300 MiB)")
    hostile = figures["hostile"]
    print(f"| gateway, 4 x 200 MB bodies at once        | peak {hostile.peak_mib:.0f} MiB (before {hostile.baseline_mib:.0f}; "
          f"answered {', '.join(map(str, hostile.statuses))}; {hostile.sent_mib:.0f} MB got through)  (target < 150)")
    print(f"| make run to ready, nothing to rebuild     | {figures['ready_s']:.1f} s  (target < 60)")
    print(f"| (mean retrieval, ms)                      | {statistics.mean(timings):.1f}")
    print_chat_quality(figures["quality"])
    print_peer(sets)


if __name__ == "__main__":
    main()
