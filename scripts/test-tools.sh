#!/usr/bin/env bash
# Programs the tests run for real, installed from Debian's packages when missing:
# PostgreSQL (the DATABASE_URL path is tested against a real server on loopback).
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: the tests need these Debian packages: ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "Installing ${need[*]} from Debian's packages (the tests use them) ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
