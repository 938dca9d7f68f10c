#!/bin/sh
# Runs the end-to-end tests: the gateway's status page in Debian's headless Chromium, against a
# gateway and a redis-server started on free ports (and stopped by PID afterwards).
# Installs the dev dependency (playwright-core, which downloads no browser) from package-lock.json
# first when node_modules is missing.
# Environment: NOTIFY_GATEWAY_BINARY (default build-dev/notify-gateway of this repository),
# NOTIFY_E2E_CHROMIUM (default /usr/bin/chromium), NOTIFY_E2E_ARTIFACTS (where the screenshot
# goes; default artifacts/ here), NOTIFY_E2E_TEST_TIMEOUT_S (default 120: the whole run is killed
# after it).
set -eu
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1; then
   echo "run-tests.sh: node (18 or newer) is not installed" >&2
   exit 1
fi
chromium="${NOTIFY_E2E_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
   echo "run-tests.sh: $chromium is missing: install Debian's chromium package" \
      "(scripts/install-deps does) or set NOTIFY_E2E_CHROMIUM" >&2
   exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
   npm ci --no-audit --no-fund
fi
# Test files are named explicitly: `node --test test/` would also run test/support/*.mjs.
exec timeout -k 10 "${NOTIFY_E2E_TEST_TIMEOUT_S:-120}" node --test test/*.test.mjs
