#!/usr/bin/env bash
# Programs the tests run for real, installed when missing:
#   PostgreSQL (Debian): the DATABASE_URL path is tested against a real server on loopback;
#   Chromium (Debian): the web chat is tested in a real browser (never a downloaded one);
#   systemd (Debian): `systemd-analyze verify` checks the unit `policybot service install` writes;
#   fonts-dejavu-core (Debian): the PDF policies the import tests make use its font;
#   axe-core (npm, pinned by tests/browser/package-lock.json): the accessibility check.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: the tests need these Debian packages: ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "Installing ${need[*]} from Debian's packages (the tests use them; a minute or two) ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

lock=tests/browser/package-lock.json
stamp=tests/browser/node_modules/.installed-from-lock
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ] || ! cmp -s "$lock" "$stamp"; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is needed for the accessibility check; install it with: apt-get install npm" >&2
    exit 1
  fi
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$lock" "$stamp"
fi
