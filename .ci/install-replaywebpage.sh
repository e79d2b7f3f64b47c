#!/usr/bin/env bash
# ReplayWeb.page (the npm package `replaywebpage`: ui.js, sw.js, index.html) for
# tests/test_replaywebpage.py, which serves the UI from 127.0.0.1 and opens our WACZ in headless
# Chromium. Fetched from the npm registry with `npm pack` and unpacked into a cache directory
# outside the repository:
#   REPLAYWEBPAGE_DIR  (default ~/.cache/rusislam-archive/replaywebpage) holds package.json, ui.js...
# The package ships its UI prebuilt (ui.js, sw.js bundle their dependencies), so its npm
# dependencies are not installed (`npm install` would also need every one of them in the registry).
# Idempotent: a directory that already has the pinned version is kept. Needs node and npm.
set -euo pipefail

REPLAYWEBPAGE_VERSION="2.5.3"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/rusislam-archive"
REPLAYWEBPAGE_DIR="${REPLAYWEBPAGE_DIR:-$CACHE_DIR/replaywebpage}"

if [ -f "$REPLAYWEBPAGE_DIR/package.json" ] && grep -q "\"version\": \"$REPLAYWEBPAGE_VERSION\"" "$REPLAYWEBPAGE_DIR/package.json"; then
    echo "replaywebpage@$REPLAYWEBPAGE_VERSION already in $REPLAYWEBPAGE_DIR"
    exit 0
fi
echo "Installing replaywebpage@$REPLAYWEBPAGE_VERSION into $REPLAYWEBPAGE_DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(cd "$work" && npm pack --silent "replaywebpage@$REPLAYWEBPAGE_VERSION" | tail -n 1)"
tar -xzf "$work/$tarball" -C "$work"  # unpacks into $work/package
for file in ui.js sw.js index.html; do
    test -f "$work/package/$file" || { echo "replaywebpage: $file missing from the package" >&2; exit 1; }
done
rm -rf "$REPLAYWEBPAGE_DIR"
mkdir -p "$(dirname "$REPLAYWEBPAGE_DIR")"
mv "$work/package" "$REPLAYWEBPAGE_DIR"
