"""The triage's own encoder: all-MiniLM-L6-v2 fine-tuned end to end, with a linear head, on the prototypes.

A frozen sentence vector groups messages by topic ("tablets", "my son", "photos"), so a classifier on top
of it confuses "can my child take paracetamol at school?" with an overdose. Fine-tuning the encoder on
the prototypes teaches it what makes a message a concern. Training is deterministic (fixed seed, fixed
order, CPU) and takes one to two minutes on two cores; `policybot index` (part of `make setup`) does it
once and the result is cached under the index cache, keyed by the prototypes, the base model and the
recipe. A process that finds no cached model trains it before its first verdict.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bot.policy.embeddings import mean_pooled, save_fine_tuned
from bot.policy.embeddings import offline_torch as _torch
from bot.policy.fast_encoder import OnnxEncoder, ensure_exported

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    """Common fine-tuning defaults for a small encoder, set before measuring and not tuned on any set."""

    epochs: int = 3
    batch: int = 16
    encoder_rate: float = 3e-5
    head_rate: float = 1e-2
    scale: float = 20.0  # unit vectors times this before the head: a usable softmax temperature
    max_tokens: int = 64
    seed: int = 0


# Softmax temperature: fitted once by minimising log-loss on out-of-fold predictions over the prototypes
# (5 folds, each fine-tuned on the other four). Fine-tuning makes the raw softmax overconfident; this brings
# "0.6 sure" back to meaning about 60%, so the thresholds in bot.safeguarding.triage mean what they say.
TEMPERATURE = 2.5


class TriageModel:
    """Probabilities over the triage classes for each text; load with `load_or_train`. Answers through the
    encoder exported to ONNX (bot.policy.fast_encoder) and the linear head in numpy: no torch. Always in float32,
    exactly as trained: with 8-bit weights a danger message of the unseen held-out set was missed."""

    def __init__(self, folder: Path, classes: tuple[str, ...], recipe: Recipe, precision: str = "float32"):
        self.classes, self.recipe = classes, recipe
        self.encoder = OnnxEncoder(folder, recipe.max_tokens, precision)
        weights = np.load(folder / "head.npz", allow_pickle=False)
        self.w, self.b = weights["w"].astype(np.float32), weights["b"].astype(np.float32)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.classes)))
        logits = (self.encoder.encode(texts) * self.recipe.scale @ self.w.T + self.b) / TEMPERATURE
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float64)


def fine_tune(base: Path, texts: list[str], labels: list[str], classes: tuple[str, ...], folder: Path,
              recipe: Recipe) -> None:
    """Fine-tune `base` on (texts, labels) and save the encoder, tokenizer and head into `folder`."""
    torch = _torch()
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(recipe.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    encoder = AutoModel.from_pretrained(str(base))
    head = torch.nn.Linear(encoder.config.hidden_size, len(classes))
    target = torch.tensor([classes.index(k) for k in labels])
    optimiser = torch.optim.AdamW([{"params": encoder.parameters(), "lr": recipe.encoder_rate},
                                   {"params": head.parameters(), "lr": recipe.head_rate}])
    order = torch.Generator().manual_seed(recipe.seed)
    encoder.train()
    for epoch in range(recipe.epochs):
        permutation = torch.randperm(len(texts), generator=order)
        for start in range(0, len(texts), recipe.batch):
            index = permutation[start:start + recipe.batch]
            vectors = mean_pooled(torch, tokenizer, encoder, [texts[i] for i in index], recipe.max_tokens)
            loss = torch.nn.functional.cross_entropy(head(vectors * recipe.scale), target[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        log.info("triage fine-tuning: epoch %d of %d done", epoch + 1, recipe.epochs)
    save_fine_tuned(folder, encoder, tokenizer, {**asdict(recipe), "classes": list(classes), "examples": len(texts)},
                    lambda into: np.savez(into / "head.npz", w=head.weight.detach().numpy(),
                                          b=head.bias.detach().numpy()))


def model_folder(cache_dir: Path, base_name: str, texts: list[str], labels: list[str], recipe: Recipe) -> Path:
    digest = hashlib.sha256("\x1e".join([base_name, json.dumps(asdict(recipe)), *texts, *labels]).encode())
    return cache_dir / f"triage-{digest.hexdigest()[:20]}"


_train_lock = threading.Lock()


def load_or_train(base: Path, base_name: str, texts: list[str], labels: list[str], classes: tuple[str, ...],
                  cache_dir: Path, recipe: Recipe | None = None, precision: str = "float32") -> TriageModel:
    """The fine-tuned model for these prototypes, as it answers (exported to ONNX at `precision`): from the cache,
    or trained and exported now and cached."""
    recipe = recipe or Recipe()
    folder = model_folder(cache_dir, base_name, texts, labels, recipe)
    with _train_lock:
        if not (folder / "head.npz").exists():
            log.info("fine-tuning the safeguarding triage on %d prototypes (once; cached in %s)", len(texts), folder)
            fine_tune(base, texts, labels, classes, folder, recipe)
        ensure_exported(folder)
    return TriageModel(folder, classes, recipe, precision)
