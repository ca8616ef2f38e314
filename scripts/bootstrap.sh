#!/bin/sh
# First-run bootstrap: the pinned Node 24 into .tools/ (from the npm registry's `node`
# package), then the project's dependencies installed under that Node. Idempotent and quick
# when everything is already in place.
set -eu
cd "$(dirname "$0")/.."
NODE_VERSION=24.21.0
TOOLS="$PWD/.tools"
NODE_BIN="$TOOLS/node_modules/node/bin/node"

if [ ! -x "$NODE_BIN" ] || [ "$("$NODE_BIN" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  echo "bootstrap: installing Node $NODE_VERSION into .tools/ (first run only)" >&2
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"name":"tools","private":true}' > "$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2
  "$NODE_BIN" --version >/dev/null
fi

export PATH="$TOOLS/node_modules/node/bin:$PATH"

# Reinstall when the lockfile (what `npm ci` installs) changed since the last install; a change to
# package.json's scripts alone does not need one.
stamp=node_modules/.bootstrap-stamp
want=$(cat package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing dependencies with Node $(node --version) (first run takes a few minutes)" >&2
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
  else
    npm install --no-audit --no-fund --loglevel=error >&2
  fi
  want=$(cat package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
  echo "$want" > "$stamp"
fi
