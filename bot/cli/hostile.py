"""Hostile bodies against a running gateway: several large chunked POSTs at once, the gateway's memory watched.

Used by `make bench` (the table's row) and by the e2e test that holds the gateway to its memory target. Every
connection is on loopback and bounded: each sends at most `megabytes` and stops as soon as the gateway answers.
"""

from __future__ import annotations

import select
import socket
import threading
from dataclasses import dataclass

import psutil

CHUNK = b"x" * (1 << 20)


@dataclass(frozen=True)
class Hostile:
    baseline_mib: float  # the gateway's resident memory before
    peak_mib: float  # the most seen while the bodies were arriving
    statuses: tuple[int, ...]  # what each connection was answered (0: closed without an answer)
    sent_mib: float  # how much the clients managed to send before the gateway cut them off


def _status(reply: bytes) -> int:
    parts = reply.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _one(port: int, path: str, megabytes: int, sent: list[int], statuses: list[int]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        reply = b""
        for _ in range(megabytes):
            readable, _, _ = select.select([conn], [], [], 0)
            if readable:
                break
            try:
                conn.sendall(b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n")
            except OSError:  # cut off: the answer (if any) is waiting to be read
                break
            sent.append(len(CHUNK))
        try:
            conn.settimeout(30)
            reply = conn.recv(4096)
        except OSError:
            pass
        statuses.append(_status(reply))


def hostile_bodies(port: int, pid: int, count: int = 4, megabytes: int = 200, path: str = "/api/chat") -> Hostile:
    gateway = psutil.Process(pid)
    family = [gateway, *gateway.children(recursive=True)]

    def rss() -> float:
        return sum(p.memory_info().rss for p in family if p.is_running()) / 2**20

    baseline = rss()
    peak = [baseline]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            done.wait(0.005)

    sent: list[int] = []
    statuses: list[int] = []
    watcher = threading.Thread(target=watch)
    senders = [threading.Thread(target=_one, args=(port, path, megabytes, sent, statuses)) for _ in range(count)]
    watcher.start()
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    done.set()
    watcher.join()
    return Hostile(baseline, max(peak[0], rss()), tuple(sorted(statuses)), sum(sent) / 2**20)
