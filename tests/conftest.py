"""Shared fixtures: a deterministic fake encoder, the real corpus, the real model once."""

from __future__ import annotations

import hashlib
import os
import re

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tests.support.paths import CORPUS, ROOT  # noqa: F401  (fixtures below use them)


class HashingEncoder:
    """Bag-of-words vectors by feature hashing: deterministic, instant, no model."""

    name = "hashing-test-encoder"

    def __init__(self, dims: int = 512):
        self.dims = dims
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dims] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


@pytest.fixture
def fake_encoder() -> HashingEncoder:
    return HashingEncoder()


@pytest.fixture(scope="session")
def real_encoder(policies):
    """Retrieval's encoder as it runs: the MiniLM fine-tuned on the phrasings (cached by make setup)."""
    from bot.policy.tuned import load_or_train
    from bot.settings import Settings

    defaults = Settings()
    return load_or_train(policies, defaults.path(defaults.RETRIEVAL_MODEL_DIR))


@pytest.fixture(scope="session")
def policies():
    from bot.policy.corpus import load_corpus

    return load_corpus(CORPUS)


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the session, on a free loopback port."""
    from tests.support.postgres import LocalPostgres

    server = LocalPostgres().start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    from tests.support.redis_server import LocalRedis

    server = LocalRedis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty incident database: a SQLite file, then a database on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'incidents.sqlite3'}"
    return request.getfixturevalue("postgres_server").new_database()
