#!/usr/bin/env bash
# Message catalogs (careops/locale/<locale>/LC_MESSAGES/messages.po), managed with Babel.
#   bash scripts/catalogs.sh update   extract the msgids (babel.cfg) into careops/locale/messages.pot
#                                     and merge them into every catalog: translate what is new or
#                                     fuzzy, then run the check
#   bash scripts/catalogs.sh check    compile every catalog (to a scratch directory: careops
#                                     compiles the .po files in memory when it loads them) and
#                                     print what is untranslated; the test suite fails on it too
#                                     (tests/unit/test_catalogs.py)
#   bash scripts/catalogs.sh init LOCALE   start the catalog of a new language
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel=.venv/bin/pybabel
[ -x "$pybabel" ] || bash scripts/install.sh
locales=careops/locale
keywords=(-k "translate:2")

extract() {
  "$pybabel" --quiet extract -F babel.cfg "${keywords[@]}" --no-location --sort-output \
    --omit-header -o "$locales/messages.pot" .
}

case "${1:-}" in
  update)
    extract
    "$pybabel" --quiet update -i "$locales/messages.pot" -d "$locales" --no-wrap --ignore-obsolete
    # no timestamp in the catalogs: engineers adding mails at once merge without conflicts
    sed -i '/^"POT-Creation-Date: /d' "$locales"/*/LC_MESSAGES/messages.po
    exec "$0" check
    ;;
  check)
    scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
    cp -r "$locales/." "$scratch/"
    "$pybabel" compile --statistics -d "$scratch"
    ;;
  init)
    extract
    "$pybabel" init -i "$locales/messages.pot" -d "$locales" -l "${2:?usage: catalogs.sh init LOCALE}" --no-wrap
    ;;
  *)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
