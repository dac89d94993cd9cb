"""Start the real Rasa server, action server and gateway once per test session."""

from __future__ import annotations

import httpx
import pytest

from bot import stack
from bot.settings import Settings
from bot.stack import free_port


class RunningStack:
    def __init__(self, settings: Settings, services: list[stack.Service]):
        self.settings, self.services = settings, services
        self.base = f"http://127.0.0.1:{settings.GATEWAY_PORT}"
        self.http = httpx.Client(base_url=self.base, timeout=60)

    def service(self, name: str) -> stack.Service:
        return next(s for s in self.services if s.name == name)

    def restart(self, name: str) -> None:
        """Start a stopped service again and wait until the stack is healthy."""
        stack.launch(self.service(name), stack.child_environment(self.settings), mode="ab")
        stack.wait_ready(self.settings, self.services, timeout=120)

    def chat(self, message, role="staff", sender="e2e-user"):
        return self.http.post("/api/chat", json={"sender_id": sender, "message": message, "role": role})


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory):
    settings = Settings(
        GATEWAY_PORT=free_port(),
        RASA_URL=f"http://127.0.0.1:{free_port()}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{free_port()}",
    )
    run_dir = tmp_path_factory.mktemp("stack")
    services = stack.start(settings, run_dir)
    try:
        stack.wait_ready(settings, services, timeout=240)
        running = RunningStack(settings, services)
        yield running
        running.http.close()
    finally:
        stack.stop(services)
