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

# A font with Chinese glyphs for the charts in reports (careops/charts.py, [charts] font_file).
font=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if [ ! -f "$font" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing fonts-wqy-microhei (Chinese chart labels)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei >/dev/null; }
  else
    echo "warning: $font is missing: run 'apt-get install fonts-wqy-microhei' as root" \
         "(charts in reports need it)" >&2
  fi
fi

stamp=.venv/.careops-installed
wanted="$(cat pyproject.toml constraints.txt | cksum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ] || [ ! -x .venv/bin/careops ]; then
  echo "installing careops and its pinned dependencies into .venv"
  # uv installs the pinned set in ~15 s where pip took minutes on a loaded machine (every CI run
  # starts from a fresh clone); pip stays the fallback.
  if .venv/bin/python -m pip install --quiet uv 2>/dev/null &&
     .venv/bin/uv pip install --quiet --python .venv/bin/python -e '.[dev]' -c constraints.txt; then
    :
  else
    echo "uv failed: installing with pip"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]' -c constraints.txt
  fi
  echo "$wanted" > "$stamp"
fi

# Bytecode, compiled once here. Where PYTHONDONTWRITEBYTECODE is set (this CI's machines set it)
# Python never writes .pyc files, so every process compiled Prefect from source again: importing
# the Prefect server took 46-110 s of a loaded 2-core machine instead of 4-7 s, and every stack
# start, worker, flow run and test worker paid it. Python still reads .pyc files it finds.
compiled=.venv/.careops-compiled
if [ ! -f "$compiled" ] || [ "$(cat "$compiled")" != "$wanted" ]; then
  echo "compiling the dependencies' bytecode"
  PYTHONDONTWRITEBYTECODE= .venv/bin/python -m compileall -q -j 0 .venv/lib/python3*/site-packages \
    >/dev/null 2>&1 || true  # a few packages ship files for other Python versions
  echo "$wanted" > "$compiled"
fi
# careops's own code changes between runs: compileall rewrites only what changed (a second or two)
PYTHONDONTWRITEBYTECODE= .venv/bin/python -m compileall -q -j 0 careops flows tasks tests \
  benchmarks >/dev/null || true

# PostgreSQL binaries (initdb, postgres >= 14) for the Prefect server's own database, which
# `careops stack up` creates under var/prefect/postgres (careops/stack/embedded_pg.py).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing postgresql (binaries for the stack's Prefect database)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql \
          >/dev/null; } || echo "could not install postgresql: the stack's Prefect server" \
          "will run on SQLite" >&2
  else
    echo "warning: no PostgreSQL binaries: the stack's Prefect server will run on SQLite" \
         "(apt-get install postgresql)" >&2
  fi
fi

# Headless Chromium + its driver (Debian's, same source package, so versions match) for the
# web app's browser tests. Installed with apt-get when missing and running as root; otherwise
# the browser tests skip and say why.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || echo "apt-get update failed; trying the cached package lists" >&2
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
      echo "could not install ${need[*]}: browser tests will skip" >&2
  else
    echo "missing ${need[*]} (not root or no apt-get): browser tests will skip" >&2
  fi
fi
