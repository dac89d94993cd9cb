"""Start rasa_sdk's action server answering only Rasa: every call but /health must carry the token Rasa was
given (ACTION_SERVER_TOKEN, read from the environment, never the command line) in the X-Policybot-Action-Token
header; any other caller gets 401 and no action runs. `policybot run` starts the action server this way, with
the same arguments as `python -m rasa_sdk`."""

import hmac
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


def main() -> None:
    token = os.environ.pop("ACTION_SERVER_TOKEN", "")
    if not token:
        sys.exit("error: ACTION_SERVER_TOKEN is not set")
    endpoint.create_app = guarded(token)
    main_from_args(endpoint.create_argument_parser().parse_args())


if __name__ == "__main__":
    main()
