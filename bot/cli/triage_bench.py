"""The safeguarding triage's figures for `make bench`, measured on the real model in this run.

- cross-validated on the prototypes it learns from (5 folds);
- on tests/safeguarding/labelled.yml, written separately from the prototypes (never trained on);
- false alarms on ordinary policy questions: the team's own tests/policy/questions.yml and the
  independent ../shared/eval/dev_questions.jsonl (measured only, never trained or tuned on).
"""

from __future__ import annotations

import json
import time

import yaml

from bot.policy.assistant import PolicyAssistant
from bot.policy.embeddings import Encoder
from bot.safeguarding.answers import gives_way
from bot.safeguarding.evaluation import TriageFigures, cross_validated, load_labelled, score
from bot.safeguarding.triage import Triage, load_prototypes
from bot.settings import ROOT, Settings

LABELLED = ROOT / "tests" / "safeguarding" / "labelled.yml"
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
OWN = ROOT / "tests" / "policy" / "questions.yml"
TARGETS = {"danger": 0.98, "disclosure": 0.98, "sexual_images": 0.98, "bullying": 0.95}
SECTION = {"bullying": "8", "sexual_images": "9"}


def ordinary_questions() -> dict[str, list[tuple[str, str, list[str]]]]:
    """(question, role, expected clause numbers) per set; dev follow-ups are skipped (they need their first)."""
    own = yaml.safe_load(OWN.read_text(encoding="utf-8"))
    sets = {"own questions": [(q["q"], q.get("role", "staff"), [e.split()[-1] for e in q["expect"]]) for q in own]}
    if DEV.exists():
        rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
        sets["dev set (independent)"] = [(r["q"], r.get("role") or "staff", [str(e) for e in r.get("expect") or []])
                                         for r in rows if not r.get("follow_up_of") and isinstance(r.get("q"), str)]
    return sets


def false_alarms(triage: Triage, assistant: PolicyAssistant,
                 questions: list[tuple[str, str, list[str]]]) -> tuple[float, float, float]:
    """Shares of policy questions that get safeguarding advice as users see it (the action's path: a hesitant
    bullying or images verdict gives way to a policy answer from another section); of those, danger or
    disclosure advice (999); and bullying or images guidance on a question answered outside section 8 or 9."""
    verdicts = triage.check_many([q for q, _, _ in questions])
    shown = []
    for verdict, (question, role, expect) in zip(verdicts, questions, strict=True):
        payload = assistant.ask(question, role).payload if verdict.kind in SECTION else None
        shown.append(("none" if gives_way(verdict, payload) else verdict.kind, expect))
    urgent = [k for k, _ in shown if k in ("danger", "disclosure")]
    off = [k for k, expect in shown if k in SECTION and not any(e.split(".")[0] == SECTION[k] for e in expect)]
    n = max(len(questions), 1)
    return sum(1 for k, _ in shown if k != "none") / n, len(urgent) / n, len(off) / n


def print_triage(encoder: Encoder) -> None:
    settings = Settings()
    prototypes = load_prototypes()
    started = time.perf_counter()
    triage = Triage(encoder, prototypes, settings.path(settings.INDEX_CACHE_DIR))
    load_ms = (time.perf_counter() - started) * 1000
    labelled = load_labelled(LABELLED)
    started = time.perf_counter()
    verdicts = triage.check_many([t for t, _, _ in labelled])
    per_message = (time.perf_counter() - started) * 1000 / len(labelled)
    rows = [("prototypes, 5-fold cross-validation", cross_validated(encoder, prototypes), len(prototypes)),
            ("tests/safeguarding/labelled.yml", score([k for _, _, k in labelled], [v.kind for v in verdicts]),
             len(labelled))]
    print(f"Safeguarding triage ({len(prototypes)} prototypes; trained in {load_ms:.0f} ms; "
          f"{per_message:.1f} ms per message in a batch)")
    print("| set                                   | kind          | n   | recall | as any concern | precision | target")
    print("|---------------------------------------|---------------|-----|--------|----------------|-----------|-------")
    for name, figures, _ in rows:
        _print_kinds(name, figures)
    given = [v.kind in ("danger", "disclosure") for (_, _, k), v in zip(labelled, verdicts, strict=True)
             if k in ("danger", "disclosure")]
    print(f"Danger and disclosure messages in the labelled set given the urgent advice (999 and the DSL, either kind): "
          f"{sum(given) / len(given):.3f} of {len(given)}")
    print("\nAdvice shown on ordinary policy questions (the action's path, after a hesitant bullying or images "
          "verdict gives way to a policy answer from another section):")
    print("| ordinary questions          | n   | flagged at all | flagged danger/disclosure | bullying/images off-section")
    print("|-----------------------------|-----|----------------|---------------------------|----------------------------")
    assistant = PolicyAssistant(encoder=encoder)
    for name, questions in ordinary_questions().items():
        anything, urgent, off = false_alarms(triage, assistant, questions)
        print(f"| {name:<27} | {len(questions):3d} | {anything:14.3f} | {urgent:25.3f} | {off:26.3f}")
    print("Target: false alarms on ordinary questions <= 0.03. A bullying or images flag on a question about "
          "section 8 or 9 is not counted off-section: the guidance shown quotes the section that answers it.\n")


def _print_kinds(name: str, figures: TriageFigures) -> None:
    for k in figures.kinds:
        print(f"| {name:<37} | {k.kind:<13} | {k.messages:3d} | {k.recall:6.3f} | {k.recall_any:14.3f} | "
              f"{k.precision:9.3f} | {TARGETS[k.kind]:.2f}")
    print(f"| {name:<37} | none (false alarms) | {figures.negatives:3d} | {figures.false_alarms:.3f}")


def main() -> None:
    from bot.policy.embeddings import MiniLMEncoder

    print_triage(MiniLMEncoder())


if __name__ == "__main__":
    main()
