#!/usr/bin/env bash
# Web-archive tools the tests drive as real users do, each in its own virtual environment outside the
# repository (the project's environment must not get their pins):
#   PYWB_VENV  pywb (wb-manager, wayback) for tests/test_pywb_replay.py; pywb pins old libraries (redis 2.x)
#   WACZ_VENV  py-wacz (wacz validate) for tests/test_wacz.py; it brings frictionless and chardet
# Idempotent: an environment that already has the pinned version is kept. Python 3.10+ with venv needed.
set -euo pipefail

PYWB_REQUIREMENT="pywb==2.10.0"
WACZ_REQUIREMENT="wacz==0.6.0"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/rusislam-archive"
PYWB_VENV="${PYWB_VENV:-$CACHE_DIR/pywb-venv}"
WACZ_VENV="${WACZ_VENV:-$CACHE_DIR/wacz-venv}"
PYTHON="${PYTHON:-python3}"

install_tool() {  # VENV_DIR REQUIREMENT COMMAND
    local venv="$1" requirement="$2" command="$3"
    if [ -x "$venv/bin/$command" ] && "$venv/bin/python" -m pip freeze 2>/dev/null | grep -qixF "$requirement"; then
        echo "$requirement already in $venv"
        return
    fi
    echo "Installing $requirement into $venv"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$requirement"
    "$venv/bin/$command" --help >/dev/null
}

install_tool "$PYWB_VENV" "$PYWB_REQUIREMENT" wayback
install_tool "$WACZ_VENV" "$WACZ_REQUIREMENT" wacz
