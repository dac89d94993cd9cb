"""Start `rasa run` (in .venv-rasa) with the API token read from the environment, never from the command line,
where every account on the machine could read it in /proc/*/cmdline. `policybot run` starts Rasa this way.

It also gives Rasa one compiled validator for the action server's replies. Rasa 3.6 checks every reply with
`jsonschema.validate`, which first checks the events schema itself against JSON Schema's meta-schema and builds
a new validator, every time: profiled with py-spy, that was 70% of the Rasa server's CPU per question. The
schema, the errors and the message raised are Rasa's own; only the repeated work is gone.
"""

import os
import sys
from typing import Any


def validate_with_one_validator() -> None:
    """Replace RemoteAction._validate_action_result with the same check through a validator built once."""
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions import action

    schema = action.RemoteAction.action_response_format_spec()
    kind = validator_for(schema)
    kind.check_schema(schema)  # once, as jsonschema.validate does on every call
    validator = kind(schema)
    original = action.RemoteAction._validate_action_result

    def _validate_action_result(self: Any, result: dict) -> bool:
        if best_match(validator.iter_errors(result)) is None:  # jsonschema.validate's own test
            return True
        return original(self, result)  # an invalid reply (rare): Rasa's own check raises Rasa's own error

    action.RemoteAction._validate_action_result = _validate_action_result


if __name__ == "__main__":
    token = os.environ.get("RASA_AUTH_TOKEN", "")  # the gateway channel checks it too
    if not token:
        sys.exit("error: RASA_AUTH_TOKEN is not set")
    sys.argv = ["rasa", *sys.argv[1:], f"--auth-token={token}"]  # "=": a token may start with "-"
    validate_with_one_validator()

    from rasa.__main__ import main

    main()
