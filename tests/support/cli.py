"""Running `policybot` as a user does: a real process."""

from __future__ import annotations

import os
import subprocess

from tests.support.paths import ROOT

POLICYBOT = ROOT / ".venv" / "bin" / "policybot"


def policybot(*args, env: dict | None = None, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([str(POLICYBOT), *args], capture_output=True, timeout=300, input=stdin,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})

