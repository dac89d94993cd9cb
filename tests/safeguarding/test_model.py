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
