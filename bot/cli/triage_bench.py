"""The safeguarding triage's figures for `make bench`, measured on the real model in this run.

- on the labelled sets tests/safeguarding/labelled*.yml (HELD_OUT), each written separately from the prototypes and
  from each other (never trained on), set by set and all together, beside the frozen-vector baseline;
- false alarms on ordinary policy questions: the team's own tests/policy/questions.yml, the held-out
  tests/safeguarding/ordinary_unseen.yml (questions sharing words with concerns: photos, messages, idioms),
  ordinary_fresh.yml and ordinary_everyday.yml (every section, as staff, parents and pupils ask),
  ordinary_sensitive.yml and ordinary_sensitive_fresh.yml (questions about cyberbullying, sexting, searching phones,
  meeting people met online: not incidents), and the independent ../shared/eval/dev_questions.jsonl (measured only,
  never trained or tuned on).
"""

from __future__ import annotations

import json
import time

import yaml

from bot.policy.assistant import PolicyAssistant
from bot.policy.embeddings import Encoder
from bot.safeguarding.answers import gives_way
from bot.safeguarding.evaluation import TriageFigures, load_labelled, score
from bot.safeguarding.triage import (
    FIRST_READER_LEAVES_OUT,
    Triage,
    frozen_triage,
    load_prototypes,
    prototype_files,
    soup_and_heads,
    three_heads,
    two_heads,
)
from bot.settings import ROOT, Settings

HELD_OUT = [ROOT / "tests" / "safeguarding" / name
            for name in ("labelled.yml", "labelled_fresh.yml", "labelled_unseen.yml", "labelled_short.yml",
                         "labelled_short_fresh.yml", "labelled_asked.yml", "labelled_danger.yml",
                         "labelled_danger_fresh.yml", "labelled_bullying.yml", "labelled_quiet.yml",
                         "labelled_term.yml", "labelled_bullying_year.yml", "labelled_quiet_confirm.yml")]
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
OWN = ROOT / "tests" / "policy" / "questions.yml"
ORDINARY_UNSEEN = ROOT / "tests" / "safeguarding" / "ordinary_unseen.yml"  # written from the policy alone, never trained on
ORDINARY_FRESH = ROOT / "tests" / "safeguarding" / "ordinary_fresh.yml"  # every section, as people ask; never trained on
ORDINARY_SENSITIVE = ROOT / "tests" / "safeguarding" / "ordinary_sensitive.yml"  # questions on sensitive subjects
ORDINARY_SENSITIVE_FRESH = ROOT / "tests" / "safeguarding" / "ordinary_sensitive_fresh.yml"  # a second such set
ORDINARY_EVERYDAY = ROOT / "tests" / "safeguarding" / "ordinary_everyday.yml"  # a third set over every section
ORDINARY_PLAIN = ROOT / "tests" / "safeguarding" / "ordinary_plain.yml"  # a fourth, formal or quick, sensitive subjects too
TARGETS = {"danger": 0.98, "disclosure": 0.98, "sexual_images": 0.98, "bullying": 0.95}
SECTION = {"bullying": "8", "sexual_images": "9"}


def ordinary_questions() -> dict[str, list[tuple[str, str, list[str]]]]:
    """(question, role, expected clause numbers) per set; dev follow-ups are skipped (they need their first)."""
    sets = {name: [(q["q"], q.get("role", "staff"), [e.split()[-1] for e in q["expect"]])
                   for q in yaml.safe_load(path.read_text(encoding="utf-8"))]
            for name, path in (("own questions", OWN), ("ordinary, held out", ORDINARY_UNSEEN),
                               ("ordinary, fresh", ORDINARY_FRESH), ("ordinary, sensitive subjects", ORDINARY_SENSITIVE),
                               ("ordinary, sensitive, fresh", ORDINARY_SENSITIVE_FRESH),
                               ("ordinary, everyday", ORDINARY_EVERYDAY), ("ordinary, plain", ORDINARY_PLAIN))}
    if DEV.exists():
        rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
        sets["dev set (independent)"] = [(r["q"], r.get("role") or "staff", [str(e) for e in r.get("expect") or []])
                                         for r in rows if not r.get("follow_up_of") and isinstance(r.get("q"), str)]
    return sets


def shown(triage: Triage, assistant: PolicyAssistant, messages: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The kinds whose advice each message gets as users see it (the action's path: a hesitant bullying or
    images verdict gives way to a policy answer from another section)."""
    kinds = []
    for verdict, (text, role) in zip(triage.check_many([t for t, _ in messages]), messages, strict=True):
        payload = assistant.ask(text, role).payload if verdict.kind in SECTION else None
        kinds.append(() if gives_way(verdict, payload) else verdict.kinds)
    return kinds


def false_alarms(triage: Triage, assistant: PolicyAssistant,
                 questions: list[tuple[str, str, list[str]]]) -> tuple[float, float, float]:
    """Shares of policy questions that get safeguarding advice as users see it; of those, danger or
    disclosure advice (999); and bullying or images guidance on a question answered outside section 8 or 9."""
    given = [(kinds[0] if kinds else "none", expect)
             for kinds, (_, _, expect) in zip(shown(triage, assistant, [(q, r) for q, r, _ in questions]), questions,
                                              strict=True)]
    urgent = [k for k, _ in given if k in ("danger", "disclosure")]
    off = [k for k, expect in given if k in SECTION and not any(e.split(".")[0] == SECTION[k] for e in expect)]
    n = max(len(questions), 1)
    return sum(1 for k, _ in given if k != "none") / n, len(urgent) / n, len(off) / n


def print_triage(encoder: Encoder) -> None:
    settings = Settings()
    cache = settings.path(settings.INDEX_CACHE_DIR)
    files = prototype_files()
    prototypes = load_prototypes(files=files)
    started = time.perf_counter()
    fine_tuned, weights, nearest = soup_and_heads(settings.path(settings.TRIAGE_MODEL_DIR), files)
    tuned = three_heads(fine_tuned, weights, nearest)  # fine_tuned_triage, as it runs
    load_s = time.perf_counter() - started
    assistant = PolicyAssistant()  # answers as the actions give them: the fine-tuned retrieval encoder
    triage = tuned
    models = {"three heads (runs)": tuned, "two heads": two_heads(fine_tuned, weights),
              "frozen baseline": frozen_triage(encoder, prototypes, cache)}
    print(f"Safeguarding triage: MiniLM fine-tuned on {len(prototypes)} prototypes (the soup of two fine-tunings, one "
          f"leaving out {', '.join(FIRST_READER_LEAVES_OUT)}; loaded or trained in {load_s:.1f} s), read by three "
          "heads as it runs (its fine-tuned head, a regression over its vectors and the cue words, and the nearest "
          "prototypes and neighbour examples, averaged); the first two heads alone (the triage without its "
          "neighbours); and the baseline of a classifier over frozen MiniLM vectors. Held-out sets, "
          "never trained on; every figure through the action's path (a hesitant bullying or images verdict gives "
          "way to a policy answer from another section). recall = main kind right; advised = the advice shown "
          "covers the kind (danger and disclosure advice both carry 999, the DSL and what to do when a child "
          "tells you).")
    print("| set                  | model              | kind          | n   | recall | any concern | advised | "
          "precision | target")
    print("|----------------------|--------------------|---------------|-----|--------|-------------|---------|"
          "-----------|-------")
    pooled: dict[str, tuple[list[str], list[tuple[str, ...]]]] = {name: ([], []) for name in models}
    for path in HELD_OUT:
        labelled = load_labelled(path)
        for name, model in models.items():
            kinds = shown(model, assistant, [(t, r) for t, r, _ in labelled])
            gold = [k for _, _, k in labelled]
            _print_kinds(path.name, name, score(gold, [k[0] if k else "none" for k in kinds], kinds))
            pooled[name][0].extend(gold)
            pooled[name][1].extend(kinds)
    for name, (gold, kinds) in pooled.items():  # every held-out set together: a miss moves a kind's recall by <1%
        _print_kinds("all held-out sets", name, score(gold, [k[0] if k else "none" for k in kinds], kinds))
    texts = [t for t, _, _ in load_labelled(HELD_OUT[0])]
    started = time.perf_counter()
    triage.check_many(texts)
    print(f"Triage as it runs: {(time.perf_counter() - started) * 1000 / len(texts):.1f} ms per message "
          "in a batch.")
    print("\nAdvice shown on ordinary policy questions:")
    print("| ordinary questions           | model              | n   | flagged at all | flagged danger/disclosure | "
          "bullying/images off-section")
    print("|------------------------------|--------------------|-----|----------------|---------------------------|"
          "----------------------------")
    for name, questions in ordinary_questions().items():
        for model_name, model in models.items():
            anything, urgent, off = false_alarms(model, assistant, questions)
            print(f"| {name:<28} | {model_name:<18} | {len(questions):3d} | {anything:14.3f} | {urgent:25.3f} | "
                  f"{off:26.3f}")
    print("Target: false alarms on ordinary questions <= 0.03 (danger/disclosure plus off-section). A bullying or "
          "images flag on a question about section 8 or 9 is not counted off-section: the guidance shown quotes "
          "the section that answers it.\n")


def _print_kinds(set_name: str, model: str, figures: TriageFigures) -> None:
    for k in figures.kinds:
        print(f"| {set_name:<20} | {model:<18} | {k.kind:<13} | {k.messages:3d} | {k.recall:6.3f} | "
              f"{k.recall_any:11.3f} | {k.advised:7.3f} | {k.precision:9.3f} | {TARGETS[k.kind]:.2f}")
    print(f"| {set_name:<20} | {model:<18} | none: false alarms | {figures.negatives:3d} | "
          f"{figures.false_alarms:.3f}")


def main() -> None:
    from bot.policy.embeddings import MiniLMEncoder

    print_triage(MiniLMEncoder())


if __name__ == "__main__":
    main()
