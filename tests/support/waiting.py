"""Waiting for something another process does, with a deadline."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], timeout: float = 30.0, interval: float = 0.1) -> T:
    """Call `probe` until it returns something truthy; that value, or the last one after `timeout`."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = probe()
    return value


def collected(probe: Callable[[], list[T]], count: int = 1, timeout: float = 30.0, interval: float = 0.1) -> list[T]:
    """Call `probe` until it returns at least `count` items; those items, or the last list after `timeout`.

    Waiting for the number expected, not for "any", so a second delivery is not raced."""
    return eventually(lambda: (lambda items: items if len(items) >= count else [])(probe()), timeout, interval) or probe()
