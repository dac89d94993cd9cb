"""Run the gateway under uvicorn with a deadline for each request's headers.

uvicorn limits how long a kept-alive connection may sit idle between requests, but not how long a client may
take to send a request's headers: a client trickling one header byte a second would hold its connection open
for ever. Here each connection must finish a request's headers within GATEWAY_HEADER_TIMEOUT_SECONDS of opening
(or of starting the next request), or it is closed. The body's own deadline is the Guard's
(GATEWAY_BODY_TIMEOUT_SECONDS).

    python -m bot.gateway.serve --host 127.0.0.1 --port 8000 --log-level info

GATEWAY_WORKERS above 1 runs that many worker processes on the one port; they share web conversation keys, rate
limits and Slack/Teams redelivery checks through Redis (bot.gateway.shared).
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.lean import skip_httpx_cli

skip_httpx_cli()  # before uvicorn and the app import httpx (bot/lean.py)

import uvicorn  # noqa: E402
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: E402

from bot.settings import Settings  # noqa: E402

log = logging.getLogger("bot.gateway.serve")


class HeaderDeadline(HttpToolsProtocol):
    """uvicorn's HTTP protocol, closing a connection whose request headers do not arrive in time
    (GATEWAY_HEADER_TIMEOUT_SECONDS). A module-level class, so each of several worker processes can load it."""

    seconds: float = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.info("closed a connection whose request headers took longer than %.0f s", self.seconds)
            self.transport.close()


HeaderDeadline.seconds = Settings.from_env().GATEWAY_HEADER_TIMEOUT_SECONDS  # read again in each worker process


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.gateway.serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    uvicorn.run("bot.gateway.app:create_app", factory=True, host=args.host, port=args.port, log_level=args.log_level,
                access_log=False, http=HeaderDeadline, workers=max(1, settings.GATEWAY_WORKERS))


if __name__ == "__main__":
    main()
