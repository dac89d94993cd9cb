"""Start `rasa run` (in .venv-rasa) with the API token read from the environment, never from the command line,
where every account on the machine could read it in /proc/*/cmdline. `policybot run` starts Rasa this way."""

import os
import sys

token = os.environ.get("RASA_AUTH_TOKEN", "")  # the gateway channel checks it too
if not token:
    sys.exit("error: RASA_AUTH_TOKEN is not set")
sys.argv = ["rasa", *sys.argv[1:], f"--auth-token={token}"]  # "=": a token may start with "-"

from rasa.__main__ import main  # noqa: E402  (after sys.argv is set)

main()
