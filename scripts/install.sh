#!/usr/bin/env bash
# Create .venv and install careops with its pinned dependencies (constraints.txt).
# pip runs only when pyproject.toml or constraints.txt changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

python=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python="$candidate"; break
  fi
done

if [ ! -x .venv/bin/python ]; then
  if [ -z "$python" ]; then
    echo "careops needs Python >= 3.11 (python3.11 or python3 on PATH)" >&2
    exit 2
  fi
  echo "creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi

stamp=.venv/.careops-installed
wanted="$(cat pyproject.toml constraints.txt | cksum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ] || [ ! -x .venv/bin/careops ]; then
  echo "installing careops and its pinned dependencies into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]' -c constraints.txt
  echo "$wanted" > "$stamp"
fi
