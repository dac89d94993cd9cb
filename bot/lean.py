"""What the assistant's processes do without: httpx imports its command-line tool when it is imported, and with it
rich and pygments (4 to 6 MiB resident in every process that uses httpx). No process of the assistant runs that
tool, so each entry point calls `skip_httpx_cli()` before anything imports httpx; httpx then defines its own
stand-in, which says how to install the tool."""

from __future__ import annotations

import sys
import types


def skip_httpx_cli() -> None:
    sys.modules.setdefault("httpx._main", types.ModuleType("httpx._main"))
