#!/bin/sh
# Runs the JavaScript client's tests (unit tests and tests against a real gateway and Redis).
# Installs the dev dependency (ws) from package-lock.json first when node_modules is missing.
# Environment: NOTIFY_GATEWAY_BINARY (default build-test/notify-gateway of this repository),
# NOTIFY_CLIENT_TEST_TIMEOUT_S (default 300: the whole run is killed after it).
set -eu
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1; then
   echo "run-tests.sh: node (18 or newer) is not installed" >&2
   exit 1
fi
if [ ! -d node_modules/ws ]; then
   npm ci --no-audit --no-fund
fi
# Test files are named explicitly: `node --test test/` would also run test/support/*.mjs.
exec timeout -k 10 "${NOTIFY_CLIENT_TEST_TIMEOUT_S:-300}" node --test test/*.test.mjs
