// The gateway's status page (GET /) in headless Chromium against a real gateway and Redis: live
// counts, the "try it" panel receiving notifications, reconnecting after the gateway is killed and
// restarted, and no request leaving 127.0.0.1. Processes and the browser are stopped afterwards
// even when a test fails.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
   requireBinaries,
   launchBrowser,
   watchRequests,
   screenshot,
   startRedis,
   startGateway,
   makeToken,
   publish,
   waitFor,
} from './support/e2e.mjs';

const HOOK = { timeout: 30000 };
const TEST = { timeout: 15000 };
const RECONNECT_TEST = { timeout: 30000 };

let redis;
let chromium;

before(async () => {
   requireBinaries();
   redis = await startRedis();
   chromium = await launchBrowser();
}, HOOK);

after(async () => {
   // Each stop runs even when another one fails.
   const results = await Promise.allSettled([chromium?.close(), redis?.stop()]);
   const failed = results.find((result) => result.status === 'rejected');
   if (failed) throw failed.reason;
}, HOOK);

async function newPage() {
   const context = await chromium.browser.newContext({
      locale: 'en-US', // the page formats numbers with the browser's locale
      viewport: { width: 1200, height: 800 },
   });
   const page = await context.newPage();
   page.setDefaultTimeout(10000);
   page.setDefaultNavigationTimeout(10000);
   return page;
}

/** A tile's number ("1,024" included), or NaN while it shows something else ("–", "?"). */
function tileNumber(text) {
   const digits = (text ?? '').trim().replace(/,/g, '');
   return /^\d+(\.\d+)?$/.test(digits) ? Number(digits) : NaN;
}

/** Polls the text of `selector` until `accept(text)`; the error shows the last text seen. */
async function waitForText(page, selector, accept, what, ms = 5000) {
   let last;
   try {
      await waitFor(
         async () => {
            last = await page.textContent(selector, { timeout: 1000 });
            return accept(last);
         },
         ms,
         what,
      );
   } catch (error) {
      error.message += ` (${selector} last showed ${JSON.stringify(last)})`;
      throw error;
   }
   return last;
}

const notificationTexts = (page) =>
   page.$$eval('#notifications li', (items) => items.map((item) => item.textContent));

/** Waits until some list item ends with the JSON of `payload` (the page prefixes the time). */
async function waitForNotification(page, payload, ms = 5000) {
   const json = JSON.stringify(payload);
   let texts = [];
   try {
      await waitFor(
         async () => {
            texts = await notificationTexts(page);
            return texts.some((text) => text.endsWith(json));
         },
         ms,
         `notification ${json} in #notifications`,
      );
   } catch (error) {
      error.message += ` (list: ${JSON.stringify(texts)})`;
      throw error;
   }
}

describe('status page', { timeout: 60000 }, () => {
   let gateway;
   let page;
   let requests;
   const statsResponses = [];
   const pageErrors = [];
   let screenshotWritten = false;

   before(async () => {
      gateway = await startGateway({ redisPort: redis.port });
      page = await newPage();
      requests = await watchRequests(page);
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('response', (response) => {
         if (new URL(response.url()).pathname === '/stats') statsResponses.push(response.status());
      });
   }, HOOK);

   after(async () => {
      // A failed run leaves a picture of where it stopped.
      if (page && !screenshotWritten) {
         await screenshot(page, 'status-page-failure.png').then(
            (file) => console.log(`screenshot of the failure: ${file}`),
            () => {},
         );
      }
      await gateway?.stop('SIGKILL');
   }, HOOK);

   it('renders the live counts from /stats and keeps polling', TEST, async () => {
      const response = await page.goto(`http://127.0.0.1:${gateway.port}/`);
      assert.equal(response.status(), 200);
      await waitForText(page, '#redis-state', (text) => text === 'ready', 'Redis tile: ready');
      assert.match(await page.getAttribute('#redis-state', 'class'), /\bok\b/);
      assert.equal(tileNumber(await page.textContent('#connections')), 0);
      assert.equal(tileNumber(await page.textContent('#users')), 0);
      assert.match(await page.textContent('#uptime'), /^\d+s$/);
      assert.match(await page.textContent('#version'), /^v\d+\.\d+\.\d+/);
      assert.match(await page.textContent('#updated'), /^updated /);
      await waitFor(() => statsResponses.length >= 3, 5000, 'three polls of /stats');
      assert.ok(statsResponses.every((status) => status === 200), String(statsResponses));
      // A page that observes the state label, for the reconnect test's sequence.
      await page.evaluate(() => {
         window.stateLog = [document.getElementById('client-state').textContent];
         new MutationObserver(() =>
            window.stateLog.push(document.getElementById('client-state').textContent),
         ).observe(document.getElementById('client-state'), {
            childList: true,
            characterData: true,
            subtree: true,
         });
      });
   });

   it('connects with a pasted token; the tiles count the connection', TEST, async () => {
      assert.equal(await page.textContent('#client-state'), 'closed');
      await page.fill('#token', await makeToken(42));
      await page.click('#connect');
      await waitForText(page, '#client-state', (text) => text === 'open', 'state open');
      assert.match(await page.textContent('#client-detail'), /as user 42/);
      assert.equal(await page.isDisabled('#connect'), true);
      assert.equal(await page.isDisabled('#disconnect'), false);
      await waitForText(page, '#connections', (t) => tileNumber(t) >= 1, 'connections >= 1');
      await waitForText(page, '#users', (t) => tileNumber(t) >= 1, 'users >= 1');
   });

   it("lists the user's and global notifications, not another user's", TEST, async () => {
      // The other user's message goes first: routed by mistake, it would be listed before ours.
      await publish(redis.port, 'user:43:notifications', '{"hello":"user 43"}');
      assert.ok((await publish(redis.port, 'user:42:notifications', '{"hello":"user 42"}')) >= 1);
      assert.ok((await publish(redis.port, 'global_notifications', '{"hello":"everyone"}')) >= 1);
      await waitForNotification(page, { hello: 'user 42' });
      await waitForNotification(page, { hello: 'everyone' });
      await sleep(300); // room for a wrongly routed or duplicated message to show up
      const texts = await notificationTexts(page);
      assert.equal(texts.length, 2, JSON.stringify(texts));
      // Newest first.
      assert.ok(texts[0].endsWith('{"hello":"everyone"}'), texts[0]);
      assert.ok(texts[1].endsWith('{"hello":"user 42"}'), texts[1]);
   });

   it('shows the traffic in the rate tiles', TEST, async () => {
      // The rates are measured between polls about a second apart: publish until one shows it.
      const seen = { in: 0, out: 0 };
      let sent = 0;
      await waitFor(
         async () => {
            await publish(redis.port, 'user:42:notifications', JSON.stringify({ traffic: ++sent }));
            seen.in = Math.max(seen.in, tileNumber(await page.textContent('#rate-in')) || 0);
            seen.out = Math.max(seen.out, tileNumber(await page.textContent('#rate-out')) || 0);
            await sleep(150);
            return seen.in > 0 && seen.out > 0;
         },
         8000,
         'messages in / s and deliveries out / s above 0',
      );
      assert.ok(sent <= 60, `sent ${sent}`);
      assert.ok(tileNumber(await page.textContent('#users')) >= 1);
      await waitForNotification(page, { traffic: sent });
   });

   it('reconnects after a SIGKILL and a restart on the same port', RECONNECT_TEST, async () => {
      await gateway.stop('SIGKILL');
      await waitForText(page, '#client-state', (t) => t === 'reconnecting', 'reconnecting');
      // The stats poll notices too; restarting only then makes the outage visible on every run.
      await waitForText(page, '#updated', (t) => t.includes('gateway unreachable'), 'unreachable');
      assert.equal(await page.textContent('#redis-state'), '?');
      gateway = await gateway.restart();
      await waitForText(page, '#client-state', (t) => t === 'open', 'open again', 20000);
      await waitForText(page, '#redis-state', (t) => t === 'ready', 'Redis ready again');
      await waitForText(page, '#connections', (t) => tileNumber(t) >= 1, 'connections >= 1');
      // The label is set once per retry (and twice on open: state event, then connect()).
      const states = (await page.evaluate(() => window.stateLog)).filter(
         (state, index, all) => state !== all[index - 1],
      );
      assert.deepEqual(states, ['closed', 'connecting', 'open', 'reconnecting', 'open']);
      assert.ok((await publish(redis.port, 'user:42:notifications', '{"after":"restart"}')) >= 1);
      await waitForNotification(page, { after: 'restart' });

      const file = await screenshot(page, 'status-page.png');
      screenshotWritten = true;
      console.log(`screenshot: ${file}`);
   });

   it('made no request beyond 127.0.0.1 and threw no error', TEST, () => {
      assert.ok(requests.urls.some((url) => url.endsWith('/notify-client.js')), requests.urls);
      assert.ok(requests.urls.some((url) => url.startsWith('ws://127.0.0.1:')), requests.urls);
      assert.deepEqual(requests.foreign, []);
      assert.deepEqual(pageErrors, []);
   });
});

describe('status page switched off', { timeout: 30000 }, () => {
   let gateway;
   let page;

   before(async () => {
      gateway = await startGateway({
         redisPort: redis.port,
         settings: { 'server.status_page': 'false' },
      });
      page = await newPage();
   }, HOOK);

   after(async () => {
      await gateway?.stop();
   }, HOOK);

   it('GET /, /stats and /notify-client.js answer 404; /healthz still 200', TEST, async () => {
      const base = `http://127.0.0.1:${gateway.port}`;
      for (const path of ['/', '/stats', '/notify-client.js']) {
         const response = await page.goto(base + path);
         assert.equal(response.status(), 404, path);
      }
      assert.equal((await page.goto(`${base}/healthz`)).status(), 200);
   });
});
