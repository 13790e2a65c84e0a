#!/usr/bin/env bash
# Set up a virtual environment in .venv (once) and run the demo or the test suite.
#   bash dev.sh demo     # the whole pipeline on a bundled sample site, offline
#   bash dev.sh test     # the test suite
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.installed-$(cksum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test]'
    touch "$stamp"
fi
case "${1:-}" in
    demo) shift; exec .venv/bin/newswatch demo "$@" ;;
    test) shift; exec .venv/bin/python -m pytest "$@" ;;
    *) echo "usage: bash dev.sh demo|test [ARGS...]" >&2; exit 2 ;;
esac
