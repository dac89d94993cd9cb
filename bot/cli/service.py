"""Running the assistant as a service: what the launcher leaves behind for `policybot status` and `policybot stop`,
the checks before it starts anything, and the systemd unit `policybot service install` writes.

- Every process the launcher starts goes through scripts/with_launcher.py: Linux's parent-death signal
  (SIGTERM), so however the launcher dies (kill -9, out of memory, a closed terminal) the servers stop too.
- Before anything starts, every port the stack needs is checked; a port someone holds is an error naming the
  process. An earlier run of the assistant still holding them (an upgrade with the old one running) is named
  as such, with how to stop it: two versions never serve at once.
- Once ready, the launcher writes `state.json` in its run folder: its process id, each service's, the version
  (git commit and the Rasa model's hash) and the ports. `policybot status` reads it; it is removed on stop.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pwd
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import psutil

from bot.settings import ROOT, Settings

STATE_FILE = "state.json"
UNIT_NAME = "policybot.service"


@dataclass(frozen=True)
class Holder:
    pid: int | None
    command: str

    def describe(self) -> str:
        return f"process {self.pid} ({self.command})" if self.pid else "another process (its owner cannot be read)"


def port_holder(host: str, port: int) -> Holder | None:
    """Who listens on (host, port), or None when it is free (tried as the servers bind: with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return None
        except OSError as problem:
            if problem.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
    for pid in listening_pids(port):
        try:
            return Holder(pid, " ".join(psutil.Process(pid).cmdline())[:200])
        except psutil.Error:
            continue
    return Holder(None, "")


def listening_pids(port: int) -> list[int]:
    """The processes with a listening socket on `port` (any address)."""
    try:
        connections = psutil.net_connections(kind="inet")
    except psutil.Error:
        return []
    return sorted({c.pid for c in connections if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
                   and c.pid is not None})


def port_of(url: str) -> int:
    return urlparse(url).port or 80


def needed_ports(settings: Settings) -> list[tuple[str, str, int]]:
    """(what, host, port) of every port make run's processes will listen on."""
    wanted = [("the gateway (GATEWAY_PORT)", settings.GATEWAY_HOST, settings.GATEWAY_PORT)]
    for number, url in enumerate(settings.rasa_urls()):
        wanted.append((f"Rasa server {number + 1} (RASA_URL, RASA_SERVERS)", "127.0.0.1", port_of(url)))
    wanted.append(("the action server (ACTION_SERVER_URL)", "127.0.0.1", port_of(settings.ACTION_SERVER_URL)))
    if not settings.REDIS_URL:
        wanted.append(("Redis (REDIS_PORT)", "127.0.0.1", settings.REDIS_PORT))
    return wanted


class PortsTaken(RuntimeError):
    pass


def check_ports(settings: Settings, run_dir: Path) -> None:
    """Raise PortsTaken, naming each holder, when any port the stack needs is in use."""
    earlier = read_state(run_dir)
    problems = []
    for what, host, port in needed_ports(settings):
        holder = port_holder(host, port)
        if holder is None:
            continue
        line = f"port {port} for {what} is in use by {holder.describe()}"
        if earlier is not None and earlier.alive() and holder.pid in earlier.pids():
            line += (f": an earlier run of the assistant (launcher process {earlier.launcher_pid}, version "
                     f"{earlier.commit}, started {earlier.started})")
        problems.append(line)
    if problems:
        hint = ("Stop it first (`policybot stop`, or `systemctl stop policybot` for the service) or choose other ports."
                if earlier is not None and earlier.alive() else "Stop that process or choose other ports (see the README's "
                "settings).")
        raise PortsTaken("; ".join(problems) + ". " + hint)


def model_hash(model: Path) -> str:
    if not model.exists():
        return "no model"
    digest = hashlib.sha256()
    with model.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def git_commit(root: Path = ROOT) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def running(process: psutil.Process) -> bool:
    """Still running (a zombie waiting for its parent is not)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def with_children(pids: set[int]) -> set[int]:
    """These processes and all their descendants (workers of workers included)."""
    found = set(pids)
    for pid in pids:
        try:
            found.update(child.pid for child in psutil.Process(pid).children(recursive=True))
        except psutil.Error:
            continue
    return found


@dataclass
class RunState:
    launcher_pid: int
    started: str
    commit: str
    model: str
    gateway: str
    services: dict[str, int] = field(default_factory=dict)  # name: process id

    def pids(self) -> set[int]:
        """The launcher, its services and their own workers."""
        return with_children({self.launcher_pid, *self.services.values()})

    def alive(self) -> bool:
        try:
            return running(psutil.Process(self.launcher_pid))
        except psutil.Error:
            return False


def write_state(run_dir: Path, state: RunState) -> None:
    path = run_dir / STATE_FILE
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    partial.chmod(0o600)
    partial.replace(path)


def read_state(run_dir: Path) -> RunState | None:
    try:
        return RunState(**json.loads((run_dir / STATE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def forget_state(run_dir: Path, launcher_pid: int) -> None:
    state = read_state(run_dir)
    if state is not None and state.launcher_pid == launcher_pid:
        (run_dir / STATE_FILE).unlink(missing_ok=True)


def outbox_backlog(settings: Settings) -> str:
    """Notifications waiting to be sent, and those that gave up, from the database."""
    try:
        from sqlalchemy import func, select

        from bot.database import session_scope
        from bot.records import OutboxMessage

        with session_scope(settings.database_url(), read_only=True) as session:
            rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
            counts: dict[str, int] = {str(status): int(n) for status, n in rows}
    except Exception as problem:  # status must answer even when the database does not
        return f"unknown (the database did not answer: {type(problem).__name__})"
    return f"{counts.get('pending', 0)} waiting, {counts.get('failed', 0)} failed"


def status_lines(settings: Settings, run_dir: Path) -> tuple[bool, list[str]]:
    """What `policybot status` prints, and whether the assistant is running."""
    import httpx

    state = read_state(run_dir)
    if state is None or not state.alive():
        return False, ["The assistant is not running (no live launcher recorded in "
                       f"{run_dir / STATE_FILE}).", f"Outbox: {outbox_backlog(settings)}."]
    lines = [f"The assistant is running: launcher process {state.launcher_pid}, started {state.started}, "
             f"version {state.commit} (Rasa model {state.model}); serving {state.gateway}."]
    for name, pid in state.services.items():
        try:
            process = psutil.Process(pid)
            memory = sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20
            lines.append(f"  {name:<10} process {pid:<8} {'running' if running(process) else 'stopped'}, {memory:.0f} MiB")
        except psutil.Error:
            lines.append(f"  {name:<10} process {pid:<8} stopped")
    try:
        health = httpx.get(f"{state.gateway}/healthz", timeout=5).json()
        lines.append("Health: " + ", ".join(f"{k} {v}" for k, v in health.items() if isinstance(v, str | int)))
    except (httpx.HTTPError, ValueError):
        lines.append("Health: the gateway did not answer /healthz.")
    lines.append(f"Outbox: {outbox_backlog(settings)}.")
    return True, lines


def stop_running(run_dir: Path, timeout: float = 60.0) -> str:
    """Ask the recorded launcher to stop (as Ctrl-C would: in-flight requests and the current send finish)."""
    state = read_state(run_dir)
    if state is None or not state.alive():
        return "The assistant is not running."
    os.kill(state.launcher_pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while state.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    return "Stopped." if not state.alive() else f"Still stopping after {timeout:.0f} s (process {state.launcher_pid})."


def unit_text(root: Path, settings: Settings, user: str, env_file: Path) -> str:
    """The systemd unit for the whole stack: `policybot run` as `user`, restarted when it fails, its processes
    stopped with it (KillMode=mixed: the launcher gets SIGTERM and stops the rest in order; anything left after
    TimeoutStopSec is killed), the file system read-only except the state and run folders, logs to the journal."""
    launcher = root / ".venv" / "bin" / "policybot"
    home = "no" if not str(root).startswith(("/home/", "/root/")) else "read-only"
    writable = " ".join(str(p) for p in state_folders(settings))
    return f"""[Unit]
Description=Heatons Cluster policy assistant (Rasa, action server, gateway, outbox worker)
Documentation=file://{root}/README.md
After=network-online.target postgresql.service
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
WorkingDirectory={root}
EnvironmentFile=-{env_file}
Environment=HOME={settings.path(settings.DATA_DIR)} PYTHONUNBUFFERED=1
ExecStart={launcher} run
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=60
Restart=on-failure
RestartSec=5
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome={home}
ReadWritePaths={writable}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
StandardOutput=journal
StandardError=journal
SyslogIdentifier=policybot

[Install]
WantedBy=multi-user.target
"""


def state_folders(settings: Settings) -> list[Path]:
    """What the service may write: its data, its run folder and the model caches (filled by make setup)."""
    return [settings.path(settings.DATA_DIR), settings.path(settings.RUN_DIR), settings.path(settings.INDEX_CACHE_DIR).parent]


def install(root: Path, settings: Settings, user: str, target: Path, env_file: Path) -> list[str]:
    """Write the unit into `target` (a folder) and say what is left to do as root."""
    target.mkdir(parents=True, exist_ok=True)
    unit = target / UNIT_NAME
    unit.write_text(unit_text(root, settings, user, env_file), encoding="utf-8")
    data, run, caches = (str(p) for p in state_folders(settings))
    try:
        pwd.getpwnam(user)
        account = []
    except KeyError:
        account = [f"useradd --system --home-dir {data} --shell /usr/sbin/nologin {user}"]
    return [
        f"Wrote {unit}. As root, then:",
        *account,
        f"mkdir -p {data} {run} && chown -R {user}:{user} {data} {run} {caches} && chmod 0700 {data} {run}",
        f"install -m 0600 -o {user} /dev/null {env_file}   # then put the settings (secrets too) in it",
        "systemctl daemon-reload && systemctl enable --now policybot",
        "policybot status; journalctl -u policybot -f",
    ]
