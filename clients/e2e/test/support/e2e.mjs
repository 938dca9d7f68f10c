// What the browser tests add to the JS client's process helpers: the gateway binary default, a
// headless Chromium that is closed (or killed by PID) afterwards, a record of every request a page
// makes, and the artifacts folder.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

// Read by processes.mjs when it loads, hence the dynamic import below.
process.env.NOTIFY_GATEWAY_BINARY ??= fileURLToPath(
   new URL('../../../../build-test/notify-gateway', import.meta.url),
);
const processes = await import('../../../js/test/support/processes.mjs');
export const {
   GATEWAY_BINARY,
   startRedis,
   startGateway,
   makeToken,
   publish,
   withTimeout,
   waitFor,
} = processes;

export const CHROMIUM_BINARY = process.env.NOTIFY_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.resolve(
   process.env.NOTIFY_E2E_ARTIFACTS ?? fileURLToPath(new URL('../../artifacts/', import.meta.url)),
);

// Keeps Chromium from calling home (updates, sync, field trials): the tests run offline.
const CHROMIUM_ARGS = [
   '--headless',
   '--no-sandbox',
   '--disable-gpu',
   '--disable-background-networking',
   '--disable-component-update',
   '--disable-sync',
   '--no-first-run',
];

/** Fails with a message saying what to install when a binary the tests run is missing. */
export function requireBinaries() {
   if (!existsSync(CHROMIUM_BINARY)) {
      throw new Error(
         `${CHROMIUM_BINARY} is missing: install Debian's chromium package ` +
            '(scripts/install-deps) or point NOTIFY_E2E_CHROMIUM at a Chromium binary',
      );
   }
   if (!existsSync(GATEWAY_BINARY)) {
      throw new Error(`${GATEWAY_BINARY} is missing: build it or set NOTIFY_GATEWAY_BINARY`);
   }
}

/**
 * Headless Chromium, started as a browser server so that its PID is known: close() waits at most
 * 10 s for a clean close, then kills the browser by that PID.
 */
export async function launchBrowser() {
   const server = await chromium.launchServer({
      executablePath: CHROMIUM_BINARY,
      args: CHROMIUM_ARGS,
      timeout: 20000,
   });
   const pid = server.process().pid;
   const kill = () => {
      try {
         process.kill(pid, 'SIGKILL');
      } catch {
         // already gone
      }
   };
   let browser;
   try {
      browser = await chromium.connect(server.wsEndpoint(), { timeout: 20000 });
   } catch (error) {
      kill();
      throw error;
   }
   return {
      browser,
      pid,
      close: async () => {
         try {
            await withTimeout(
               browser.close().then(() => server.close()),
               10000,
               `closing Chromium (PID ${pid})`,
            );
         } catch (error) {
            kill();
            throw error;
         }
      },
   };
}

// data:, blob: and about: URLs never reach the network.
const isLoopback = (url) => {
   try {
      const { protocol, hostname } = new URL(url);
      return ['data:', 'blob:', 'about:'].includes(protocol) || hostname === '127.0.0.1';
   } catch {
      return false;
   }
};

/**
 * Records every request and WebSocket of `page`; `foreign` lists those not for 127.0.0.1, which
 * are also aborted so that a regression cannot reach the network.
 */
export async function watchRequests(page) {
   const log = { urls: [], foreign: [] };
   const record = (url) => {
      log.urls.push(url);
      if (!isLoopback(url)) log.foreign.push(url);
   };
   page.on('request', (request) => record(request.url()));
   page.on('websocket', (socket) => record(socket.url()));
   await page.route(
      (url) => !isLoopback(url.href),
      (route) => route.abort('blockedbyclient'),
   );
   return log;
}

/** Writes a full-page screenshot to ARTIFACTS_DIR and returns its path. */
export async function screenshot(page, name) {
   mkdirSync(ARTIFACTS_DIR, { recursive: true });
   const file = path.join(ARTIFACTS_DIR, name);
   await page.screenshot({ path: file, fullPage: true, timeout: 10000 });
   return file;
}
