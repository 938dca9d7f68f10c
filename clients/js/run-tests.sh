#!/bin/sh
# Runs the JavaScript client's tests (unit tests and tests against a real gateway and Redis).
# Installs the dev dependencies (ws; express, express-session, connect-redis and redis for the
# cookie test; ioredis and redis as publishers in the history test) from package-lock.json first when one is missing or the lock file changed.
# Environment: NOTIFY_GATEWAY_BINARY (default build-test/notify-gateway of this repository),
# NOTIFY_CLIENT_TEST_TIMEOUT_S (default 300: the whole run is killed after it).
set -eu
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1; then
   echo "run-tests.sh: node (18 or newer) is not installed" >&2
   exit 1
fi
needs_install=no
for package in ws express express-session connect-redis redis ioredis; do
   [ -d "node_modules/$package" ] || needs_install=yes
done
# npm writes node_modules/.package-lock.json on every install: older than the lock = stale.
if [ ! -f node_modules/.package-lock.json ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
   needs_install=yes
fi
if [ "$needs_install" = yes ]; then
   npm ci --no-audit --no-fund
fi
# Test files are named explicitly: `node --test test/` would also run test/support/*.mjs.
exec timeout -k 10 "${NOTIFY_CLIENT_TEST_TIMEOUT_S:-300}" node --test test/*.test.mjs
