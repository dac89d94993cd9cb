"""The yardstick for `make bench-load`: Rasa's own bare `rasa init` bot, served beside our stack.

It is the smallest thing Rasa 3.6 can serve (NLU and dialogue, utter responses only, no custom actions,
in-memory tracker and lock stores), so it shows what the same Rasa on the same machine costs per message
before anything of ours is added. It is made with `rasa init --no-prompt` and trained once into
.cache/yardstick/rasa-<version>/ (a Rasa upgrade makes and trains a fresh one); its pipeline loads no
language model, so it downloads nothing.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.settings import ROOT

RASA_VENV = ROOT / ".venv-rasa"
CACHE = ROOT / ".cache" / "yardstick"
WEBHOOK = "/webhooks/rest/webhook"
REST_ONLY = "rest:\n"  # the REST channel alone (rasa init's credentials also name a Rasa X channel)
NO_ENDPOINTS = "# no action server, tracker store or lock store: Rasa's in-memory defaults\n"


def rasa_version(venv: Path = RASA_VENV) -> str:
    """The Rasa installed in .venv-rasa, read from its package metadata (no Rasa start-up needed)."""
    sites = [str(p) for p in sorted((venv / "lib").glob("python*/site-packages"))]
    for dist in importlib.metadata.distributions(name="rasa", path=sites):
        return dist.version
    raise SystemExit(f"Rasa is not installed in {venv}: run `make setup`.")


def rasa_environment() -> dict[str, str]:
    """What the yardstick's Rasa runs with: no telemetry, no model downloads, nothing of our secrets."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ") if name in os.environ}
    return {**keep, "RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1", "LOG_LEVEL_LIBRARIES": "ERROR"}


def project_dir(version: str, cache: Path = CACHE) -> Path:
    """Where the yardstick for this Rasa version is kept."""
    return cache / f"rasa-{version}"


def trained_model(project: Path) -> Path | None:
    """The yardstick's trained model in `project`, if it has been trained."""
    models = sorted((project / "models").glob("*.tar.gz"))
    return models[-1] if models else None


def ensure_yardstick(cache: Path = CACHE) -> tuple[Path, Path]:
    """The yardstick's project folder and model, made and trained now only when this Rasa version has none.

    It is built in a scratch folder and renamed into place once trained, so an interrupted training leaves
    nothing that looks finished."""
    project = project_dir(rasa_version(), cache)
    model = trained_model(project)
    if model is not None:
        return project, model
    scratch = project.with_name(project.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    print(f"Training the yardstick (rasa init's bot) once into {project.relative_to(ROOT)} ...", flush=True)
    log = cache / "train.log"
    with log.open("wb") as out:
        done = subprocess.run([str(RASA_VENV / "bin" / "rasa"), "init", "--no-prompt", "--init-dir", str(scratch)],
                              cwd=scratch, env=rasa_environment(), stdout=out, stderr=subprocess.STDOUT, check=False)
    trained = trained_model(scratch)
    if done.returncode != 0 or trained is None:
        tail = log.read_text(errors="replace").splitlines()[-10:]
        raise SystemExit(f"rasa init failed (see {log}):\n" + "\n".join(tail))
    model_name = trained.name
    (scratch / "credentials-rest.yml").write_text(REST_ONLY, encoding="utf-8")
    (scratch / "endpoints-none.yml").write_text(NO_ENDPOINTS, encoding="utf-8")
    shutil.rmtree(project, ignore_errors=True)
    scratch.rename(project)
    return project, project / "models" / model_name


def serve_command(project: Path, model: Path, port: int) -> list[str]:
    """`rasa run` for the yardstick: loopback only, the HTTP API on, the REST channel, no endpoints."""
    return [str(RASA_VENV / "bin" / "rasa"), "run", "--model", str(model), "--enable-api",
            "--interface", "127.0.0.1", "--port", str(port),
            "--credentials", str(project / "credentials-rest.yml"), "--endpoints", str(project / "endpoints-none.yml")]


def wait_answering(base: str, process: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
    """Wait until the yardstick answers "hello" on its REST webhook (its model is loaded by then)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=30) as http:
        while True:
            if process.poll() is not None:
                tail = log.read_text(errors="replace").splitlines()[-15:]
                raise SystemExit(f"the yardstick's rasa run stopped (see {log}):\n" + "\n".join(tail))
            try:
                reply = http.post(base + WEBHOOK, json={"sender": "warm-up", "message": "hello"})
                if reply.status_code == 200 and reply.json():
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the yardstick did not answer within {timeout:.0f} s (see {log})")
            time.sleep(0.5)


def stop_process_group(process: subprocess.Popen, first: signal.Signals = signal.SIGTERM, grace: float = 60.0) -> None:
    """Stop a process started in its own session, and the rest of that session: `first`, then, if it has not
    ended within `grace` seconds, SIGKILL."""
    for stop in (first, signal.SIGKILL):
        if process.poll() is None:
            try:
                os.killpg(process.pid, stop)
            except ProcessLookupError:
                return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def running_yardstick(port: int, log: Path) -> Iterator[str]:
    """Serve the yardstick on 127.0.0.1:`port` (training it first if this Rasa has none); its base URL.
    It is stopped when the block ends, however it ends."""
    project, model = ensure_yardstick()
    with log.open("wb") as out:
        process = subprocess.Popen(serve_command(project, model, port), cwd=project, env=rasa_environment(),
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_answering(base, process, log)
        yield base
    finally:
        stop_process_group(process)
