"""deploy/: the Dockerfiles and compose file for a trust's IT team cannot be built on this machine, so this
checks that they say what the launcher (bot/cli/stack.py) and the settings say: the same services, commands,
ports, environment names and Rasa endpoints."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from bot.cli import stack
from bot.settings import ROOT, Settings, describe

DEPLOY = ROOT / "deploy"
SETTINGS = {name for name, _, _ in describe()}
IMAGE_ONLY = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}  # read by the postgres image


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))


def launcher_services(tmp_path: Path) -> list[stack.Service]:
    return stack.services(Settings(RASA_SERVERS=2), tmp_path)


def test_every_process_the_launcher_starts_is_a_service(compose, tmp_path):
    named = {"rasa": "rasa-1"}
    wanted = {named.get(s.name, s.name) for s in launcher_services(tmp_path)} | {"postgres"}
    assert set(compose["services"]) == wanted


def test_the_commands_are_the_launchers(compose, tmp_path):
    launched = {s.name: s.command for s in launcher_services(tmp_path)}
    for name in ("actions", "gateway", "worker"):
        command = compose["services"][name]["command"]
        assert command[0] == "python"
        ours = [part for part in launched[name][1:] if not part.startswith(str(ROOT))]
        script = [part.removeprefix(str(ROOT) + "/") for part in launched[name][1:] if part.startswith(str(ROOT))]
        assert command[1:1 + len(script)] == script  # the same program (a script, or a module)
        for flag, value in zip(ours, ours[1:], strict=False):  # the same flags; the host differs inside a container
            if flag.startswith("--") and flag not in ("--host", "--log-level", "--port"):
                assert command[command.index(flag) + 1] == value


def test_ports_match_the_settings(compose):
    defaults = Settings()
    gateway = compose["services"]["gateway"]
    assert gateway["ports"] == [f"{defaults.GATEWAY_PORT}:{defaults.GATEWAY_PORT}"]
    assert gateway["command"][gateway["command"].index("--port") + 1] == str(defaults.GATEWAY_PORT)
    actions = compose["services"]["actions"]["command"]
    assert actions[actions.index("--port") + 1] == str(urlsplit(defaults.ACTION_SERVER_URL).port)
    environment = compose["x-app"]["environment"]
    assert urlsplit(environment["ACTION_SERVER_URL"]).port == urlsplit(defaults.ACTION_SERVER_URL).port
    rasa_port = urlsplit(defaults.RASA_URL).port
    servers = Settings(RASA_URL=environment["RASA_URL"]).rasa_urls()
    assert sorted(urlsplit(u).hostname for u in servers) == sorted(n for n in compose["services"] if n.startswith("rasa"))
    assert {urlsplit(u).port for u in servers} == {rasa_port}
    assert f'"--port", "{rasa_port}"' in (DEPLOY / "Dockerfile.rasa").read_text(encoding="utf-8")
    assert f"EXPOSE {rasa_port}" in (DEPLOY / "Dockerfile.rasa").read_text(encoding="utf-8")


def test_every_environment_name_is_a_setting_or_an_images_own(compose):
    text = (DEPLOY / "compose.yml").read_text(encoding="utf-8")
    for name in re.findall(r"\$\{([A-Z_]+)", text):
        assert name in SETTINGS | IMAGE_ONLY, name
    for service in ("actions", "gateway", "worker"):
        environment = compose["services"][service]["environment"]
        assert set(environment) <= SETTINGS, set(environment) - SETTINGS
    rasa_environment = stack.rasa_environment(Settings(REDIS_URL="redis://:pw@redis:6379/0"))
    for service in ("rasa-1", "rasa-2"):
        assert set(compose["services"][service]["environment"]) <= set(rasa_environment)
    assert set(compose["services"]["postgres"]["environment"]) <= IMAGE_ONLY


def test_rasas_endpoints_are_the_ones_the_launcher_writes(tmp_path, compose):
    environment = compose["x-app"]["environment"]
    redis_url = environment["REDIS_URL"].replace("${REDIS_PASSWORD:?set REDIS_PASSWORD}", "pw")
    settings = Settings(REDIS_URL=redis_url, ACTION_SERVER_URL=environment["ACTION_SERVER_URL"])
    written = yaml.safe_load(stack.write_endpoints(settings, tmp_path).read_text(encoding="utf-8"))
    shipped = yaml.safe_load((DEPLOY / "endpoints.yml").read_text(encoding="utf-8"))
    assert shipped == written
