#!/bin/sh
# Runs a command with the project's pinned Node 24 first on PATH.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$ROOT/.tools/node_modules/node/bin:$ROOT/node_modules/.bin:$PATH"
exec "$@"
