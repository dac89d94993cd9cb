"""The triage's fine-tuning: deterministic, cached, and retrained only when the prototypes change."""

from __future__ import annotations

import numpy as np
import pytest

from bot.policy.embeddings import MiniLMEncoder
from bot.safeguarding.model import Recipe, load_or_train, model_folder

pytestmark = pytest.mark.model
CLASSES = ("danger", "none")
TEXTS = ["he said he will hurt me tonight", "someone is coming to stab him", "i want to die",
         "can I post the sports day photos", "what is the policy on friending parents", "is tiktok allowed"]
LABELS = ["danger"] * 3 + ["none"] * 3
QUICK = Recipe(epochs=1, batch=3)


def test_fine_tuning_is_deterministic_and_cached(tmp_path):
    base = MiniLMEncoder()
    first = load_or_train(base.path, base.name, TEXTS, LABELS, CLASSES, tmp_path / "a", QUICK)
    again = load_or_train(base.path, base.name, TEXTS, LABELS, CLASSES, tmp_path / "b", QUICK)
    p, q = first.probabilities(TEXTS), again.probabilities(TEXTS)
    assert p.shape == (6, 2) and np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(p, q, atol=1e-6)
    folder = model_folder(tmp_path / "a", base.name, TEXTS, LABELS, QUICK)
    stamp = (folder / "head.npz").stat().st_mtime_ns
    load_or_train(base.path, base.name, TEXTS, LABELS, CLASSES, tmp_path / "a", QUICK)
    assert (folder / "head.npz").stat().st_mtime_ns == stamp  # loaded from the cache, not trained again
    changed = model_folder(tmp_path / "a", base.name, [*TEXTS, "one more"], [*LABELS, "none"], QUICK)
    assert changed != folder and not list(tmp_path.glob("*/*.partial"))


def test_a_soup_is_the_mean_of_its_models_weights_and_is_cached(tmp_path):
    from safetensors.numpy import load_file

    from bot.safeguarding.model import load_or_soup

    base = MiniLMEncoder()
    shares = [(TEXTS[1:5], LABELS[1:5]), (TEXTS, LABELS)]
    soup = load_or_soup(base.path, base.name, shares, CLASSES, tmp_path, QUICK)
    p = soup.probabilities(TEXTS)
    assert p.shape == (6, 2) and np.allclose(p.sum(axis=1), 1.0)
    parts = [model_folder(tmp_path, base.name, texts, labels, QUICK) for texts, labels in shares]
    (folder,) = tmp_path.glob("soup-*")
    weights = [load_file(str(f / "model.safetensors")) for f in (*parts, folder)]
    name = next(n for n in weights[0] if weights[0][n].dtype.kind == "f" and weights[0][n].ndim == 2)
    assert not np.allclose(weights[0][name], weights[1][name])  # two different fine-tunings
    assert np.allclose(weights[2][name], (weights[0][name] + weights[1][name]) / 2, atol=1e-6)
    heads = [np.load(f / "head.npz") for f in (*parts, folder)]
    assert np.allclose(heads[2]["w"], (heads[0]["w"] + heads[1]["w"]) / 2, atol=1e-6)
    stamp = (folder / "head.npz").stat().st_mtime_ns
    again = load_or_soup(base.path, base.name, shares, CLASSES, tmp_path, QUICK)
    assert (folder / "head.npz").stat().st_mtime_ns == stamp  # read from the cache, not made again
    assert np.allclose(again.probabilities(TEXTS), p, atol=1e-6)
    assert not list(tmp_path.glob("*.partial")) and not list(parts[0].glob("*.onnx"))  # only the soup is exported
