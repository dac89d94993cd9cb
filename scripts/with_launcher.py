"""Run a service so that it dies with the launcher: `python -S with_launcher.py LAUNCHER_PID command...`.

Asks Linux to send this process SIGTERM when its parent (the launcher) dies, checks the launcher did not die
before the request, then becomes the service (exec: same process id, and the request survives the exec). So
`kill -9` of the launcher, an out-of-memory kill or a closed terminal never leaves servers running on their own.
Standard library only, and no site packages (-S), so it costs a few milliseconds per service.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1

launcher, command = int(sys.argv[1]), sys.argv[2:]
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
if os.getppid() != launcher:  # the launcher died before the request took hold
    sys.exit(1)
os.execvp(command[0], command)
