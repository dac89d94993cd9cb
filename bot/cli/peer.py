"""Rasa's own answer to "which clause answers this?", measured beside ours in `make bench`.

A ResponseSelector with one retrieval intent per clause (`policy/c5_3`), trained on the same phrasings the
hybrid index searches (each clause's text, its sentences and list items, and how people ask about it), with
Rasa's recommended featurisers. It is trained in a temporary folder by Rasa's own environment and asked every
question of a set; its refusal threshold is the one that suits it best on the team's own questions (in its
favour), then applied unchanged to the independent set. It sees one message at a time: a follow-up is sent
after its first question, joined to it, as the peer has no dialogue state of its own.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.cli.chat_quality import Row, matches, share
from bot.policy.corpus import Policy
from bot.policy.retrieval import passages_of
from bot.settings import ROOT

RASA = ROOT / ".venv-rasa" / "bin"
PARSE = '''
import asyncio, json, sys
from rasa.core.agent import Agent

async def main():
    agent = Agent.load(sys.argv[1])
    out = []
    for text in json.load(open(sys.argv[2])):
        parsed = await agent.parse_message(text)
        ranking = parsed.get("response_selector", {}).get("policy", {}).get("ranking", [])
        out.append([[r["intent_response_key"].split("/", 1)[1], r["confidence"]] for r in ranking[:3]])
    json.dump(out, open(sys.argv[3], "w"))

asyncio.run(main())
'''


@dataclass(frozen=True)
class PeerQuality:
    hit_at_1: float
    hit_at_3: float
    not_covered_refused: float
    wrongly_refused: float
    follow_ups_right: float | None
    threshold: float


def _key(number: str) -> str:
    return "c" + number.replace(".", "_")


def _number(key: str) -> str:
    return key[1:].replace("_", ".")


def train(policies: list[Policy], folder: Path) -> Path:
    """Train the peer on the clauses' phrasings; the model's path."""
    nlu, responses = [], {}
    for policy in policies:
        for clause in policy.clauses:
            examples = sorted({" ".join(p.split()) for p in passages_of(clause) if p.strip()})
            nlu.append({"intent": f"policy/{_key(clause.number)}",
                        "examples": "".join(f"- {e.replace(chr(10), ' ')}\n" for e in examples)})
            responses[f"utter_policy/{_key(clause.number)}"] = [{"text": clause.number}]
    (folder / "nlu.yml").write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True), "utf-8")
    (folder / "domain.yml").write_text(yaml.safe_dump({"version": "3.1", "intents": ["policy"],
                                                       "responses": responses}, allow_unicode=True), "utf-8")
    (folder / "config.yml").write_text(yaml.safe_dump({
        "recipe": "default.v1", "language": "en", "assistant_id": "peer",
        "pipeline": [{"name": "WhitespaceTokenizer"}, {"name": "CountVectorsFeaturizer"},
                     {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
                     {"name": "ResponseSelector", "epochs": 100, "retrieval_intent": "policy",
                      "random_seed": 1}],
        "policies": []}), "utf-8")
    subprocess.run([str(RASA / "rasa"), "train", "nlu", "--config", "config.yml", "--nlu", "nlu.yml", "--domain",
                    "domain.yml", "--out", "models", "--fixed-model-name", "peer", "--quiet"],
                   cwd=folder, check=True, capture_output=True, text=True)
    return folder / "models" / "peer.tar.gz"


def rank(model: Path, texts: list[str], folder: Path) -> list[list[tuple[str, float]]]:
    """The peer's top three clauses and confidences for each text."""
    (folder / "parse.py").write_text(PARSE, "utf-8")
    (folder / "texts.json").write_text(json.dumps(texts), "utf-8")
    subprocess.run([str(RASA / "python"), "parse.py", str(model), "texts.json", "ranked.json"], cwd=folder,
                   check=True, capture_output=True, text=True)
    return [[(_number(k), float(c)) for k, c in row] for row in json.loads((folder / "ranked.json").read_text())]


def _figures(rows: list[Row], ranked: list[list[tuple[str, float]]], threshold: float) -> PeerQuality:
    def right(row: Row, top: list[tuple[str, float]], k: int) -> bool:
        return bool(top) and top[0][1] >= threshold and any(matches(c, e) for c, _ in top[:k] for e in row.expect)

    def refused(top: list[tuple[str, float]]) -> bool:
        return not top or top[0][1] < threshold

    pairs = list(zip(rows, ranked, strict=True))
    covered = [(r, t) for r, t in pairs if not r.follow_up_of and r.expect and r.expect != ("meta",)]
    uncovered = [t for r, t in pairs if not r.follow_up_of and not r.expect]
    follow = [(r, t) for r, t in pairs if r.follow_up_of]
    return PeerQuality(
        hit_at_1=share(covered, lambda p: right(p[0], p[1], 1)),
        hit_at_3=share(covered, lambda p: right(p[0], p[1], 3)),
        not_covered_refused=share(uncovered, refused),
        wrongly_refused=share(covered, lambda p: not p[1] or p[1][0][1] < threshold),
        follow_ups_right=share(follow, lambda p: right(p[0], p[1], 1) if p[0].expect else refused(p[1])) if follow else None,
        threshold=threshold,
    )


def measure(policies: list[Policy], sets: dict[str, list[Row]], own: str) -> dict[str, list[PeerQuality]]:
    """Train the peer and score every set twice: never refusing, and at the threshold that suits it best on
    the `own` set."""
    with tempfile.TemporaryDirectory(prefix="peer-") as name:
        folder = Path(name)
        model = train(policies, folder)
        ranked = {n: rank(model, [f"{r.follow_up_of} {r.question}" if r.follow_up_of else r.question for r in rows],
                          folder) for n, rows in sets.items()}
    candidates = sorted({round(t[0][1], 3) for t in ranked[own] if t} | {0.0})
    best = max(candidates, key=lambda t: _balance(_figures(sets[own], ranked[own], t)))
    return {n: [_figures(rows, ranked[n], 0.0), _figures(rows, ranked[n], float(best))] for n, rows in sets.items()}


def _balance(q: PeerQuality) -> float:
    return q.hit_at_1 + q.not_covered_refused + 1 - q.wrongly_refused
