#!/usr/bin/env bash
# Idempotent set-up for `make run`, `make test` and `make bench`:
#   both Python environments (reinstalled only when their requirements change),
#   the Rasa model (retrained only when data/, domain.yml or config.yml change),
#   the retrieval index (rebuilt only when the policy corpus or model changes),
#   redis-server from Debian when REDIS_URL is not set.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {  # find_python 3.10 -> path of a working python3.10, or nothing
  local version=$1 candidate
  for candidate in "python$version" "$HOME/.pyenv/versions/$version"*/bin/"python$version" \
                   "/usr/local/bin/python$version" "/usr/bin/python$version"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv' >/dev/null 2>&1; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

digest() { cat "$@" | sha256sum | cut -d' ' -f1; }

ensure_venv() {  # ensure_venv DIR PYTHON_VERSION REQUIREMENTS_FILE
  local dir=$1 version=$2 requirements=$3
  local want; want=$(digest "$requirements")
  if [ -f "$dir/.requirements.sha256" ] && [ "$(cat "$dir/.requirements.sha256")" = "$want" ]; then
    return 0
  fi
  local python
  if ! python=$(find_python "$version"); then
    echo "error: python$version not found; install Python $version (e.g. 'pyenv install $version' or 'apt-get install python$version python$version-venv') and run this again." >&2
    exit 1
  fi
  echo "Setting up $dir with $python (a few minutes the first time) ..."
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" 2>&1 | { grep -v "^WARNING: Location" || true; }
  echo "$want" > "$dir/.requirements.sha256"
}

ensure_venv .venv-rasa 3.10 requirements-rasa.txt
ensure_venv .venv 3.11 requirements.txt
project_key=$(digest pyproject.toml)
if ! .venv/bin/python -c 'import bot' >/dev/null 2>&1 || [ ! -x .venv/bin/policybot ] \
   || [ "$(cat .venv/.project.sha256 2>/dev/null)" != "$project_key" ]; then
  .venv/bin/pip install --quiet --no-deps --no-build-isolation -e . 2>&1 | { grep -v "^WARNING: Location" || true; }
  echo "$project_key" > .venv/.project.sha256
fi

if [ "${1:-}" = "--envs-only" ]; then exit 0; fi

# Redis (Debian's) keeps Rasa's conversations and locks; make run starts it unless REDIS_URL points elsewhere.
if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: redis-server is needed (or set REDIS_URL); install it with: sudo apt-get install redis-server" >&2
    exit 1
  fi
  echo "Installing redis-server from Debian's packages (once) ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi

model_key=$(digest config.yml domain.yml $(find data -type f -name '*.yml' | LC_ALL=C sort) requirements-rasa.txt)
if [ ! -f models/policybot.tar.gz ] || [ "$(cat models/.trained.sha256 2>/dev/null)" != "$model_key" ]; then
  echo "Training the Rasa model (about a minute) ..."
  rm -f models/.trained.sha256
  .venv-rasa/bin/rasa train --fixed-model-name policybot --out models --quiet > .rasa-train.log 2>&1 \
    || { tail -30 .rasa-train.log >&2; echo "error: rasa train failed; full log in .rasa-train.log" >&2; exit 1; }
  echo "$model_key" > models/.trained.sha256
fi

triage_key=$(digest bot/safeguarding/prototypes*.yml bot/safeguarding/model.py bot/safeguarding/triage.py)
if [ "$(cat .cache/.triage.sha256 2>/dev/null)" != "$triage_key" ]; then
  echo "Fine-tuning the safeguarding triage models (once, ten to fifteen minutes) ..."
fi
retrieval_key=$(digest $(find policy_corpus -type f -name "*.asks.yml" | LC_ALL=C sort) bot/policy/tuned.py)
if [ "$(cat .cache/.retrieval.sha256 2>/dev/null)" != "$retrieval_key" ]; then
  echo "Fine-tuning the retrieval encoder on the policies' phrasings (once, five to ten minutes) ..."
fi
HF_HUB_OFFLINE=1 .venv/bin/policybot index > /dev/null
mkdir -p .cache && echo "$triage_key" > .cache/.triage.sha256 && echo "$retrieval_key" > .cache/.retrieval.sha256
