"""A real SMTP server process (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
import time
from pathlib import Path

from bot.cli.stack import free_port
from tests.support.waiting import collected


class SmtpServer:
    """aiosmtpd in its own process, storing what it receives in a Maildir."""

    def __init__(self, folder: Path, port: int | None = None, tls: tuple[Path, Path] | None = None):
        """With `tls` (certificate, key) the server offers STARTTLS and requires it before mail."""
        self.port = port or free_port()
        self.maildir = folder / "maildir"
        starttls = ["--tlscert", str(tls[0]), "--tlskey", str(tls[1])] if tls else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}", *starttls,
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=(folder / "smtp.log").open("wb"),
        )

    def wait_ready(self, timeout: float = 15.0) -> "SmtpServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the SMTP server did not start on port {self.port}")

    def messages(self) -> list:
        if not self.maildir.exists():
            return []
        return list(mailbox.Maildir(self.maildir, create=False))

    def wait_for(self, predicate, timeout: float = 30.0, count: int = 1) -> list:
        """The emails matching `predicate`, once at least `count` of them have arrived (or at the deadline)."""
        return collected(lambda: [m for m in self.messages() if predicate(m)], count, timeout, interval=0.25)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

