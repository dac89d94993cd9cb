#!/usr/bin/env bash
# Run `make test` with the wall clock of every process shifted to HH:MM today (Debian's datefudge),
# to show the suite does not depend on the hour:  scripts/test-at.sh 07:15   scripts/test-at.sh 23:50
# The monotonic clock and sleeps are left alone, so waits and timeouts behave as usual. The set-up
# (environments, training) runs first on the real clock: TensorFlow's training can hang under datefudge.
set -euo pipefail
cd "$(dirname "$0")/.."
at=${1:?usage: scripts/test-at.sh HH:MM [make target]}
target=${2:-test}
if ! command -v datefudge >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: datefudge is needed; install it with: sudo apt-get install datefudge" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq datefudge >/dev/null
fi
make --no-print-directory setup  # set-up does not depend on the hour; it runs on the real clock
echo "Running make $target with the clock at $(datefudge "$(date +%F) $at" date)"
exec datefudge "$(date +%F) $at" make --no-print-directory "$target"
