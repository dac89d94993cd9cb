"""A real Redis (Debian's redis-server) on a free loopback port, for the tests; nothing kept on disk."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import redis

from bot.cli.stack import free_port
from tests.support.waiting import eventually


class LocalRedis:
    def __init__(self, folder: Path):
        self.port, self.password = free_port(), secrets.token_urlsafe(16)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(folder), "--requirepass", self.password],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        assert eventually(answers, timeout=30), "redis-server did not start"

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
