"""Running as a service: servers die with the launcher however it dies, a port in use stops start-up with the
holder named and nothing left running, an earlier run is named as such, and the systemd unit verifies."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bot.cli.service import PortsTaken, check_ports, port_holder, unit_text
from bot.cli.stack import free_port
from bot.settings import Settings
from tests.support.paths import ROOT

POLICYBOT = ROOT / ".venv" / "bin" / "policybot"
HOLD = ("import socket, sys, time\ns = socket.socket()\ns.bind(('127.0.0.1', int(sys.argv[1])))\ns.listen()\n"
        "print('held', flush=True)\ntime.sleep(600)")


def hold(port: int) -> subprocess.Popen:
    """Another program listening on `port` until the test stops it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(port)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def stack_env(tmp_path: Path) -> dict[str, str]:
    """`policybot run` on free loopback ports, with its data and run folder in `tmp_path` and nothing sent out."""
    return {**os.environ, "GATEWAY_PORT": str(free_port()), "REDIS_PORT": str(free_port()),
            "RASA_URL": f"http://127.0.0.1:{free_port()}", "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}",
            "DATA_DIR": str(tmp_path / "data"), "RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": "", "REDIS_URL": "",
            "SMTP_HOST": "", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "", "TEAMS_APP_ID": "",
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def ports_of(env: dict[str, str]) -> set[int]:
    settings = Settings.from_env(env)
    from bot.cli.service import needed_ports

    return {port for _, _, port in needed_ports(settings)}


def listeners(ports: set[int]) -> list[int]:
    return sorted({c.pid for c in psutil.net_connections(kind="inet")
                   if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port in ports and c.pid})


def test_a_free_port_has_no_holder_and_a_held_one_names_its_process():
    port = free_port()
    assert port_holder("127.0.0.1", port) is None
    holder = hold(port)
    try:
        found = port_holder("127.0.0.1", port)
        assert found is not None and found.pid == holder.pid and "socket" in found.command
    finally:
        holder.kill()
        holder.wait()


def test_start_up_refuses_a_taken_port_naming_the_holder(tmp_path):
    settings = Settings.from_env(stack_env(tmp_path))
    holder = hold(int(settings.ACTION_SERVER_URL.rsplit(":", 1)[1]))
    try:
        with pytest.raises(PortsTaken, match=f"the action server .* process {holder.pid} "):
            check_ports(settings, tmp_path)
    finally:
        holder.kill()
        holder.wait()


def test_the_systemd_unit_verifies_and_a_broken_one_does_not(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "Debian's systemd is not installed: run scripts/test-tools.sh (make test does)"
    done = subprocess.run([str(POLICYBOT), "service", "install", "--target", str(tmp_path), "--env-file",
                           str(tmp_path / "policybot.env")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "systemctl daemon-reload" in done.stdout, done.stderr
    unit = (tmp_path / "policybot.service").read_text()
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "Restart=on-failure", "KillMode=mixed",
                 "StandardOutput=journal", "User=policybot", "UMask=0077", f"ExecStart={POLICYBOT} run"):
        assert line in unit.splitlines()
    verified = subprocess.run([analyze, "verify", str(tmp_path / "policybot.service")], capture_output=True, text=True,
                              timeout=120)
    assert verified.returncode == 0, verified.stderr
    broken = tmp_path / "broken" / "policybot.service"
    broken.parent.mkdir()
    broken.write_text(unit_text(ROOT, Settings(), "policybot", tmp_path / "env").replace(
        f"ExecStart={POLICYBOT} run", "ExecStart=policybot-not-a-path run"))
    assert subprocess.run([analyze, "verify", str(broken)], capture_output=True, timeout=120).returncode != 0


@pytest.mark.stack
def test_a_port_in_use_stops_make_run_before_anything_starts(tmp_path):
    env = stack_env(tmp_path)
    holder = hold(int(env["GATEWAY_PORT"]))
    try:
        done = subprocess.run([str(POLICYBOT), "run"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert done.returncode != 0
        assert f"port {env['GATEWAY_PORT']} for the gateway (GATEWAY_PORT) is in use by process {holder.pid}" in done.stderr
        assert "Ready" not in done.stdout
        assert listeners(ports_of(env) - {int(env["GATEWAY_PORT"])}) == []  # nothing of the stack was started
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.stack
def test_killing_the_launcher_leaves_no_server_running(tmp_path):
    env = stack_env(tmp_path)
    launcher = subprocess.Popen([str(POLICYBOT), "run"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
    stack: set[int] = set()
    try:
        said = []
        for line in launcher.stdout or ():
            said.append(line)
            if line.startswith("Ready in") or launcher.poll() is not None:
                break
        assert any(line.startswith("Ready in") for line in said), "".join(said[-20:])
        state = json.loads((tmp_path / "run" / "state.json").read_text())
        assert state["launcher_pid"] == launcher.pid and set(state["services"]) >= {"rasa", "actions", "gateway", "worker"}
        stack = {p.pid for p in psutil.Process(launcher.pid).children(recursive=True)}
        assert set(state["services"].values()) <= stack and set(listeners(ports_of(env))) <= stack

        status = subprocess.run([str(POLICYBOT), "status"], env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and f"launcher process {launcher.pid}" in status.stdout
        assert "Outbox: 0 waiting, 0 failed." in status.stdout and "gateway" in status.stdout

        again = subprocess.run([str(POLICYBOT), "run"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert again.returncode != 0 and "an earlier run of the assistant" in again.stderr  # an upgrade, say
        assert "policybot stop" in again.stderr

        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait(10)
        left = wait_until_gone(stack, seconds=5)
        assert left == [], [" ".join(psutil.Process(pid).cmdline()) for pid in left if psutil.pid_exists(pid)]
        assert listeners(ports_of(env)) == []
        stopped = subprocess.run([str(POLICYBOT), "status"], env=env, capture_output=True, text=True, timeout=60)
        assert stopped.returncode == 3 and "not running" in stopped.stdout
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
        for pid in stack:
            try:
                psutil.Process(pid).kill()
            except psutil.Error:
                pass


def wait_until_gone(pids: set[int], seconds: float) -> list[int]:
    """The processes of `pids` still running after at most `seconds` (returns as soon as none is)."""
    deadline = time.monotonic() + seconds
    while True:
        left = [pid for pid in pids if alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
