#!/usr/bin/env bash
# Starts the benchmark peer (node-oidc-provider 9) in production mode on 127.0.0.1, installing its pinned packages
# first when node_modules is missing or older than package-lock.json. The node process replaces this shell (exec),
# so the caller's $! is the server's PID (for CPU and RSS sampling and for kill).
#   PORT=5300 ISSUER=http://127.0.0.1:5300 PEER_PASSWORD_HASH=pbkdf2|none bench/peer/start.sh
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2
fi
export NODE_ENV=production
exec node server.js
