"""`make run`: start Rasa, the action server, the gateway and the outbox worker; stop them on Ctrl-C."""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from bot.cli.service import (
    PortsTaken,
    RunState,
    check_ports,
    forget_state,
    git_commit,
    listening_pids,
    model_hash,
    port_of,
    with_children,
    write_state,
)
from bot.database import DatabaseUnavailable, StorageExposed
from bot.gateway.shared import TRACKER_PREFIX
from bot.incidents.contacts import ContactsError
from bot.notify.escalation import ATTENTION
from bot.settings import ROOT, Settings, describe, shown_value

MODEL = ROOT / "models" / "policybot.tar.gz"


@dataclass
class Service:
    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen | None = None

    def stopped(self) -> bool:
        """Has the launched process exited?"""
        if self.process is None:
            raise RuntimeError(f"{self.name} was never launched")
        return self.process.poll() is not None


def services(settings: Settings, run_dir: Path) -> list[Service]:
    py = sys.executable
    logs = run_dir / "logs"
    own_redis = [] if settings.REDIS_URL else [Service("redis", ["redis-server", str(run_dir / "redis.conf")],
                                                       logs / "redis.log")]
    rasa = [
        Service("rasa" if number == 0 else f"rasa-{number + 1}", [  # the API token reaches Rasa in its environment
            str(ROOT / ".venv-rasa" / "bin" / "python"), str(ROOT / "scripts" / "rasa_serve.py"), "run",  # not argv
            "--model", str(MODEL), "--endpoints", str(run_dir / "endpoints.yml"), "--credentials", "credentials.yml",
            "--interface", "127.0.0.1", "--port", str(port_of(url)), "--enable-api",
        ], logs / ("rasa.log" if number == 0 else f"rasa-{number + 1}.log"))
        for number, url in enumerate(settings.rasa_urls())
    ]
    return [
        *own_redis,
        *rasa,
        Service("actions", [  # rasa_sdk's server answering only calls with Rasa's token (scripts/action_serve.py)
            py, str(ROOT / "scripts" / "action_serve.py"), "--actions", "actions",
            "--port", str(port_of(settings.ACTION_SERVER_URL)),
        ], logs / "actions.log"),
        Service("gateway", [
            py, "-m", "bot.gateway.serve", "--host", settings.GATEWAY_HOST,  # uvicorn, with a deadline for headers
            "--port", str(settings.GATEWAY_PORT), "--log-level", settings.LOG_LEVEL.lower(),
        ], logs / "gateway.log"),
        Service("worker", [py, "-m", "bot.cli.main", "worker"], logs / "worker.log"),
    ]


def with_token(settings: Settings) -> Settings:
    """The settings, with fresh tokens for Rasa's and the action server's loopback APIs and a fresh password for
    the Redis make run starts, unless they are set. (The key for web conversation ids, when not set, is made once
    and kept in Redis by the gateway, so a restart does not end everyone's conversation.)"""
    return dataclasses.replace(
        settings, RASA_TOKEN=settings.RASA_TOKEN or secrets.token_urlsafe(24),
        ACTION_SERVER_TOKEN=settings.ACTION_SERVER_TOKEN or secrets.token_urlsafe(24),
        REDIS_PASSWORD=settings.REDIS_PASSWORD or ("" if settings.REDIS_URL else secrets.token_urlsafe(24)))


def child_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update({name: str(getattr(settings, name)) for name, _, _ in describe()})
    env.update({
        "SANIC_HOST": "127.0.0.1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    })
    return env


RASA_QUIETEST = ("INFO", "WARNING", "ERROR", "CRITICAL")  # at DEBUG Rasa would log message text and slot values


def rasa_environment(settings: Settings) -> dict[str, str]:
    """Rasa's own, minimal environment: none of the assistant's secrets, only its API token, and a log level
    that never writes what people typed."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ") if name in os.environ}
    level = settings.LOG_LEVEL.upper() if settings.LOG_LEVEL.upper() in RASA_QUIETEST else "INFO"
    return {**keep, "SANIC_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), "LOG_LEVEL": level,
            "LOG_LEVEL_LIBRARIES": "ERROR", "RASA_TELEMETRY_ENABLED": "false", "RASA_AUTH_TOKEN": settings.RASA_TOKEN,
            "ACTION_SERVER_TOKEN": settings.ACTION_SERVER_TOKEN, "REDIS_PASSWORD": redis_parts(settings)["password"]}


def environment_for(service: Service, settings: Settings) -> dict[str, str]:
    if service.name == "redis":  # its password is in its configuration file, nothing else it needs
        return {name: os.environ[name] for name in ("PATH", "LANG", "TZ") if name in os.environ}
    return rasa_environment(settings) if service.name.startswith("rasa") else child_environment(settings)


def redis_parts(settings: Settings) -> dict[str, str]:
    """Host, port, database number and password of the Redis in use."""
    url = urlparse(settings.redis_url())
    return {"host": url.hostname or "127.0.0.1", "port": str(url.port or 6379),
            "db": (url.path or "/0").strip("/") or "0", "password": unquote(url.password or "")}


def write_endpoints(settings: Settings, run_dir: Path) -> Path:
    """endpoints.yml: the action server URL and the header carrying its token, and Redis as Rasa's tracker store
    (conversations kept CONVERSATION_KEEP_HOURS after their last message) and lock store (each conversation's
    messages in order, across Rasa servers). Tokens and the Redis password stay in Rasa's environment."""
    path = run_dir / "endpoints.yml"
    url = settings.ACTION_SERVER_URL.rstrip("/")
    redis = redis_parts(settings)
    password = "  password: ${REDIS_PASSWORD}\n" if redis["password"] else ""  # unquoted: Rasa fills it in
    where = f'  url: "{redis["host"]}"\n  port: {redis["port"]}\n  db: {redis["db"]}\n{password}'
    path.write_text(f'action_endpoint:\n  url: "{url}/webhook"\n  headers:\n'
                    "    X-Policybot-Action-Token: ${ACTION_SERVER_TOKEN}\n"
                    f"tracker_store:\n  type: redis\n{where}  key_prefix: {TRACKER_PREFIX}\n"
                    f"  record_exp: {int(settings.CONVERSATION_KEEP_HOURS * 3600)}\n"
                    f"lock_store:\n  type: redis\n{where}  key_prefix: policybotlock\n",
                    encoding="utf-8")
    return path


def write_redis_conf(settings: Settings, run_dir: Path) -> Path:
    """The configuration of the Redis make run starts: loopback only, a password, data kept in DATA_DIR/redis
    (append-only file, so a restart loses nothing)."""
    data = settings.path(settings.DATA_DIR) / "redis"
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = run_dir / "redis.conf"
    path.write_text("\n".join([
        "bind 127.0.0.1", f"port {settings.REDIS_PORT}", "protected-mode yes", f'dir "{data}"',
        "appendonly yes", "appendfsync everysec", 'save ""', 'logfile ""', "daemonize no",
        f'requirepass "{settings.REDIS_PASSWORD}"', "",
    ]), encoding="utf-8")
    path.chmod(0o600)
    return path


def wait_for_redis(settings: Settings, service: Service, timeout: float = 30.0) -> None:
    """Wait until the Redis just started answers (Rasa and the gateway need it from their first message)."""
    import redis

    client = redis.Redis.from_url(settings.redis_url(), socket_timeout=2)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.ping():
                return
        except redis.RedisError:
            pass
        if service.stopped() or time.monotonic() > deadline:
            tail = service.log.read_text(errors="replace").splitlines()[-10:]
            raise RuntimeError(f"Redis did not start (see {service.log}):\n" + "\n".join(tail))
        time.sleep(0.1)


def prepare_storage(settings: Settings) -> None:
    """Check the contacts file and bring the database schema up to date before anything starts."""
    from bot.database import prepare_for
    from bot.incidents.contacts import load_contacts

    load_contacts(settings.path(settings.CONTACTS_FILE))
    prepare_for(settings.owner_url(), settings.database_url())


def start(settings: Settings, run_dir: Path | None = None) -> list[Service]:
    """Launch every service (settings must come from with_token)."""
    if not MODEL.exists():
        raise SystemExit("No trained Rasa model at models/policybot.tar.gz: run `make run` (it trains one).")
    if not settings.RASA_TOKEN:
        raise ValueError("start() needs settings from with_token()")
    run_dir = run_dir or settings.path(settings.RUN_DIR)
    check_ports(settings, run_dir)  # before anything starts: a port in use is an error naming its holder
    prepare_storage(settings)
    for folder in (run_dir, run_dir / "logs"):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    write_endpoints(settings, run_dir)
    started = services(settings, run_dir)
    for service in started:
        if service.name == "redis":
            write_redis_conf(settings, run_dir)
        launch(service, environment_for(service, settings))
        if service.name == "redis":
            wait_for_redis(settings, service)
    return started


def launch(service: Service, env: dict[str, str], mode: str = "wb") -> None:
    """Start one service in its own session, its output going to its log file; it stops when this process dies,
    however it dies (scripts/with_launcher.py)."""
    guarded = [sys.executable, "-S", str(ROOT / "scripts" / "with_launcher.py"), str(os.getpid()), *service.command]
    with service.log.open(mode) as log:
        service.log.chmod(0o600)  # a log kept from an earlier run keeps its old mode otherwise
        service.process = subprocess.Popen(
            guarded, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            umask=0o077,  # what the services create (database, WAL, caches) is private to this account
        )


def free_port() -> int:
    """A loopback port nobody is listening on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(started: list[Service], grace: float = 15.0) -> None:
    for service in started:
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for service in started:
        if service.process is None:
            continue
        try:
            service.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()


def wait_ready(settings: Settings, started: list[Service], timeout: float) -> None:
    """Wait for /healthz, then warm the action server's model with one question."""
    base = f"http://{settings.GATEWAY_HOST}:{settings.GATEWAY_PORT}"
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=60) as http:
        while True:
            for service in started:
                if service.stopped():
                    tail = service.log.read_text(errors="replace").splitlines()[-15:]
                    raise RuntimeError(f"{service.name} stopped (see {service.log}):\n" + "\n".join(tail))
            try:
                if http.get(f"{base}/healthz").status_code == 200 and ours(settings.GATEWAY_PORT, started):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f} s; logs are in {started[0].log.parent}")
            time.sleep(0.5)
        conversation = http.post(f"{base}/api/conversations").json()["conversation_id"]
        http.post(f"{base}/api/chat", json={"conversation_id": conversation, "message": "can I friend a parent?",
                                           "role": "staff"})


def ours(port: int, started: list[Service]) -> bool:
    """Is the process listening on `port` one this launcher started (or one of its workers)?"""
    mine = with_children({s.process.pid for s in started if s.process is not None})
    listeners = listening_pids(port)
    return bool(listeners) and set(listeners) <= mine


def announce(settings: Settings) -> None:
    """Say what is starting and which channels and notifications are on."""
    redis = f"Redis at {shown_value('REDIS_URL', settings.REDIS_URL)}" if settings.REDIS_URL else "Redis"
    print(f"Starting {'' if settings.REDIS_URL else redis + ', '}Rasa, the action server, the gateway and the outbox "
          f"worker (logs in {settings.path(settings.RUN_DIR) / 'logs'}) ..."
          + (f" Using {redis}." if settings.REDIS_URL else ""), flush=True)
    mode = settings.slack_mode()
    print({"socket": "Slack is on (Socket Mode).",
           "http": f"Slack is on (HTTP mode: Slack sends requests to /slack/events on port {settings.GATEWAY_PORT})."}
          .get(mode or "off", "Slack is off: set SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET "
                              "(HTTP mode); see the README."), flush=True)
    print(f"Teams is on: Bot Framework sends activities to /api/messages on port {settings.GATEWAY_PORT}."
          if settings.TEAMS_APP_ID else "Teams is off: set TEAMS_APP_ID and TEAMS_APP_PASSWORD (or a certificate); "
          "see the README.", flush=True)
    if not settings.SMTP_HOST:
        print("Email notifications are off (SMTP_HOST is not set): reports are saved and their "
              "notifications wait in the outbox until it is.", flush=True)


def needing_a_person(log: Path, offset: int) -> tuple[list[str], int]:
    """The worker's log lines after `offset` that need a person (escalations: ATTENTION), and the new offset."""
    try:
        with log.open("rb") as stream:
            stream.seek(offset)
            chunk = stream.read()
    except OSError:
        return [], offset
    complete = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written waits for the next look
    lines = complete.decode("utf-8", errors="replace").splitlines()
    return [line for line in lines if ATTENTION in line], offset + len(complete)


def run(settings: Settings | None = None, timeout: float = 240.0) -> int:
    settings = with_token(settings or Settings.from_env())
    run_dir = settings.path(settings.RUN_DIR)
    began = time.monotonic()
    try:
        started = start(settings)
    except (ContactsError, DatabaseUnavailable, StorageExposed, PortsTaken) as problem:
        print(f"Could not start: {problem}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        announce(settings)
        wait_ready(settings, started, timeout)
        base = f"http://{settings.GATEWAY_HOST}:{settings.GATEWAY_PORT}"
        write_state(run_dir, RunState(os.getpid(), time.strftime("%Y-%m-%d %H:%M:%S %z"), git_commit(), model_hash(MODEL),
                                      base, {s.name: s.process.pid for s in started if s.process is not None}))
        print(f"Ready in {time.monotonic() - began:.1f} s. Open {base}/ in a browser; press Ctrl-C to stop.", flush=True)
        worker_log = next((s.log for s in started if s.name == "worker"), None)
        offset = worker_log.stat().st_size if worker_log and worker_log.exists() else 0
        while not any(s.stopped() for s in started):
            time.sleep(0.5)
            if worker_log:
                lines, offset = needing_a_person(worker_log, offset)
                for line in lines:
                    print(line, flush=True)
        dead = [s.name for s in started if s.stopped()]
        print(f"{', '.join(dead)} stopped unexpectedly; see {run_dir / 'logs'}. Stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    except RuntimeError as problem:
        print(f"Could not start: {problem}", file=sys.stderr)
        return 1
    finally:
        stop(started)
        forget_state(run_dir, os.getpid())
        print("Stopped.", flush=True)
