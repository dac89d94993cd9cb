"""Per-conversation and per-address message limits for the web chat (in memory, per gateway)."""

from __future__ import annotations

import time
from collections import deque


class SlidingWindow:
    """At most `limit` events per `seconds` for each key; memory stays bounded."""

    def __init__(self, limit: int, seconds: float = 60.0, max_keys: int = 50_000):
        self.limit, self.seconds, self.max_keys = limit, seconds, max_keys
        self.events: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float | None = None) -> float:
        """0 when allowed (and counted); otherwise the seconds to wait."""
        now = time.monotonic() if now is None else now
        times = self.events.get(key)
        if times is None:
            if len(self.events) >= self.max_keys:
                self._forget_idle(now)
            times = self.events[key] = deque()
        while times and now - times[0] >= self.seconds:
            times.popleft()
        if len(times) >= self.limit:
            return self.seconds - (now - times[0])
        times.append(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, t in self.events.items() if not t or now - t[-1] >= self.seconds]:
            del self.events[key]
        while len(self.events) >= self.max_keys:  # still full: drop the oldest keys
            del self.events[next(iter(self.events))]
