"""The triage's own encoder: all-MiniLM-L6-v2 fine-tuned end to end, with a linear head, on the prototypes.

A frozen sentence vector groups messages by topic ("tablets", "my son", "photos"), so a classifier on top
of it confuses "can my child take paracetamol at school?" with an overdose. Fine-tuning the encoder on
the prototypes teaches it what makes a message a concern. Training is deterministic (fixed seed, fixed
order, CPU) and takes three to five minutes a model on two cores; the triage runs the soup of two such models
(`load_or_soup`). `policybot index` (part of `make setup`) trains them once and the results are cached in
TRIAGE_MODEL_DIR, keyed by the prototypes, the base model and the recipe. A process that finds no cached model
trains it before its first verdict.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
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
        return self.head(self.encoder.encode(texts))

    def head(self, vectors: np.ndarray) -> np.ndarray:
        """The fine-tuned head's probabilities for the encoder's vectors."""
        logits = (vectors * self.recipe.scale @ self.w.T + self.b) / TEMPERATURE
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


def trained(base: Path, base_name: str, texts: list[str], labels: list[str], classes: tuple[str, ...],
            cache_dir: Path, recipe: Recipe) -> Path:
    """The folder of the model fine-tuned on these prototypes, trained now if it is not cached (not exported)."""
    folder = model_folder(cache_dir, base_name, texts, labels, recipe)
    with _train_lock:
        if not (folder / "head.npz").exists():
            log.info("fine-tuning the safeguarding triage on %d prototypes (once; cached in %s)", len(texts), folder)
            fine_tune(base, texts, labels, classes, folder, recipe)
    return folder


def load_or_train(base: Path, base_name: str, texts: list[str], labels: list[str], classes: tuple[str, ...],
                  cache_dir: Path, recipe: Recipe | None = None, precision: str = "float32") -> TriageModel:
    """The fine-tuned model for these prototypes, as it answers (exported to ONNX at `precision`): from the cache,
    or trained and exported now and cached."""
    recipe = recipe or Recipe()
    folder = trained(base, base_name, texts, labels, classes, cache_dir, recipe)
    with _train_lock:
        ensure_exported(folder)
    return TriageModel(folder, classes, recipe, precision)


def load_or_soup(base: Path, base_name: str, shares: list[tuple[list[str], list[str]]], classes: tuple[str, ...],
                 cache_dir: Path, recipe: Recipe | None = None) -> TriageModel:
    """One model whose weights (encoder and head) are the mean of models fine-tuned from the same base with the same
    recipe, one on each share of (texts, labels): a "model soup". It answers about as the models' averaged answers
    would, with the memory and time of one model. Each model and the soup are cached; only the soup is exported."""
    from safetensors.numpy import load_file, save_file

    recipe = recipe or Recipe()
    folders = [trained(base, base_name, texts, labels, classes, cache_dir, recipe) for texts, labels in shares]
    soup = cache_dir / f"soup-{hashlib.sha256(chr(30).join(f.name for f in folders).encode()).hexdigest()[:20]}"
    with _train_lock:
        if not (soup / "head.npz").exists():
            partial = soup.with_name(soup.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            for name in ("config.json", "recipe.json", "tokenizer.json", "tokenizer_config.json"):
                shutil.copy(folders[0] / name, partial / name)
            weights = [load_file(str(f / "model.safetensors")) for f in folders]
            save_file({name: _mean([w[name] for w in weights]) for name in weights[0]}, str(partial / "model.safetensors"))
            heads = [np.load(f / "head.npz", allow_pickle=False) for f in folders]
            np.savez(partial / "head.npz", w=_mean([h["w"] for h in heads]), b=_mean([h["b"] for h in heads]))
            shutil.rmtree(soup, ignore_errors=True)
            partial.replace(soup)
        ensure_exported(soup)
    return TriageModel(soup, classes, recipe)


def _mean(arrays: list[np.ndarray]) -> np.ndarray:
    """The element-wise mean of same-shaped arrays in their own type (integer buffers, such as position ids, are
    the same in every model and kept)."""
    if arrays[0].dtype.kind != "f":
        return arrays[0]
    return (np.sum([a.astype(np.float64) for a in arrays], axis=0) / len(arrays)).astype(arrays[0].dtype)
