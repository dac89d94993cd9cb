"""Start rasa_sdk's action server answering only Rasa: every call but /health must carry the token Rasa was
given (ACTION_SERVER_TOKEN, read from the environment, never the command line) in the X-Policybot-Action-Token
header; any other caller gets 401 and no action runs. `policybot run` starts the action server this way, with
the same arguments as `python -m rasa_sdk`.

Every plain (def) action runs in a worker thread rather than on the server's event loop, so an action waiting on
a slow or unreachable database never holds up another conversation's plain question."""

import asyncio
import hmac
import inspect
import os
import sys

from rasa_sdk import endpoint
from rasa_sdk.__main__ import main_from_args
from sanic import response

HEADER = "X-Policybot-Action-Token"


def guarded(token: str):
    unguarded = endpoint.create_app

    def create_app(*args, **kwargs):
        app = unguarded(*args, **kwargs)

        @app.on_request
        async def only_rasa(request):
            if request.path == "/health":
                return None
            if not hmac.compare_digest(request.headers.get(HEADER, "").encode(), token.encode()):
                return response.json({"error": "This server answers only the assistant's Rasa server."}, status=401)
            return None

        return app

    return create_app


def off_the_event_loop() -> None:
    """rasa_sdk calls a plain action on its event loop; this runs it in a thread (async actions stay on the loop)."""
    from rasa_sdk import utils
    from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
    from rasa_sdk.interfaces import ActionNotFoundException, Tracker

    async def run(self, action_call):
        name = action_call.get("next_action")
        if not name:
            return None
        action = self.actions.get(name)
        if not action:
            raise ActionNotFoundException(name)
        domain = self.update_and_return_domain(action_call, name)
        tracker = Tracker.from_dict(action_call["tracker"])
        dispatcher = CollectingDispatcher()
        if inspect.iscoroutinefunction(action):
            events = await action(dispatcher, tracker, domain)
        else:
            events = await utils.call_potential_coroutine(await asyncio.to_thread(action, dispatcher, tracker, domain))
        return self._create_api_response(self.validate_events(events or [], name), dispatcher.messages)

    ActionExecutor.run = run


def main() -> None:
    token = os.environ.pop("ACTION_SERVER_TOKEN", "")
    if not token:
        sys.exit("error: ACTION_SERVER_TOKEN is not set")
    endpoint.create_app = guarded(token)
    off_the_event_loop()
    main_from_args(endpoint.create_argument_parser().parse_args())


if __name__ == "__main__":
    main()
