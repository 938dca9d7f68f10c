// NotifyClient against a real notify-gateway and redis-server (started here, stopped by PID).
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { NotifyClient } from '../notify-client.js';
import { Recorder } from './support/recorder.mjs';
import { startRedis, startGateway, makeToken, publish, withTimeout } from './support/processes.mjs';

const TEST = { timeout: 20000 };
const SUITE = { timeout: 90000 };
const HOOK = { timeout: 30000 };
const clients = [];

/** ws with a record of the sockets made and the frames sent and received. */
function countingWebSocket() {
   const log = { sockets: [], sent: [], received: [] };
   class CountingWebSocket extends WebSocket {
      constructor(...args) {
         super(...args);
         log.sockets.push(args[0]);
         this.addEventListener('message', (event) => log.received.push(String(event.data)));
      }

      send(data, ...rest) {
         log.sent.push(String(data));
         return super.send(data, ...rest);
      }
   }
   return { WebSocket: CountingWebSocket, log };
}

function makeClient(options) {
   const client = new NotifyClient({ WebSocket, ...options });
   clients.push(client);
   return { client, recorder: new Recorder(client) };
}

afterEach(() => {
   for (const client of clients.splice(0)) client.close();
});

let redis;
let gateway;
let token42;

before(async () => {
   redis = await startRedis();
   // No lockout: several tests present bad tokens from 127.0.0.1 on purpose.
   gateway = await startGateway({ redisPort: redis.port, settings: { 'auth.max_failures': 0 } });
   token42 = await makeToken(42);
}, HOOK);

after(async () => {
   await gateway?.stop();
   await redis?.stop();
}, HOOK);

describe('against notify-gateway', SUITE, () => {
   test('token in a message: connect() resolves with the userId at auth_ok', TEST, async () => {
      const { WebSocket: Counting, log } = countingWebSocket();
      const { client, recorder } = makeClient({
         url: gateway.url,
         token: token42,
         WebSocket: Counting,
      });
      assert.deepEqual(await withTimeout(client.connect(), 5000, 'connect'), { userId: '42' });
      assert.deepEqual(recorder.stateNames, ['connecting', 'open']);
      assert.equal(log.sockets[0], gateway.url);
      assert.deepEqual(JSON.parse(log.sent[0]), { type: 'auth', token: token42, format: 'envelope' });
   });

   test('token in the query: connect() resolves, no auth message sent', TEST, async () => {
      const { WebSocket: Counting, log } = countingWebSocket();
      const { client } = makeClient({
         url: gateway.url,
         token: token42,
         tokenIn: 'query',
         WebSocket: Counting,
      });
      assert.deepEqual(await withTimeout(client.connect(), 5000, 'connect'), { userId: '42' });
      assert.match(log.sockets[0], /\?token=/);
      assert.equal(log.sent.length, 0);
   });

   test("the user's and global notifications arrive, another user's do not", TEST, async () => {
      const seen = [];
      const { client, recorder } = makeClient({
         url: gateway.url,
         token: token42,
         onNotification: (m) => seen.push(m),
      });
      await withTimeout(client.connect(), 5000, 'connect');
      // The other user's message goes first: delivered by mistake, it would be first in `seen`.
      await publish(redis.port, 'user:43:notifications', '{"for":43}');
      await publish(redis.port, 'user:42:notifications', '{"for":42}');
      await publish(redis.port, 'global_notifications', '{"for":"all"}');
      await withTimeout(recorder.waitForNotifications(2), 6000, 'two notifications');
      await sleep(200); // room for a wrongly routed or duplicated message to show up
      assert.deepEqual(seen, [{ for: 42 }, { for: 'all' }]);
   });

   test('a bad token without getToken: closed after exactly one attempt', TEST, async () => {
      const { WebSocket: Counting, log } = countingWebSocket();
      const wrongSecret = await makeToken(42, 'some-other-secret-0123456789abcdef0123456789');
      const { client, recorder } = makeClient({
         url: gateway.url,
         token: wrongSecret,
         WebSocket: Counting,
         reconnect: { initialDelayMs: 10 },
      });
      await assert.rejects(withTimeout(client.connect(), 5000, 'connect'), (error) => {
         assert.equal(error.code, 'token_refused');
         assert.equal(error.closeCode, 4001);
         assert.match(error.message, /bad_signature/);
         return true;
      });
      await sleep(500); // a reconnect loop would make more sockets meanwhile
      assert.equal(log.sockets.length, 1);
      assert.deepEqual(recorder.stateNames, ['connecting', 'closed']);
   });

   test('a bad token with getToken: one retry with the fresh token, then open', TEST, async () => {
      const { WebSocket: Counting, log } = countingWebSocket();
      let calls = 0;
      const { client, recorder } = makeClient({
         url: gateway.url,
         token: 'no-such-session',
         WebSocket: Counting,
         getToken: async () => (calls++, token42),
         reconnect: { initialDelayMs: 10 },
      });
      assert.deepEqual(await withTimeout(client.connect(), 5000, 'connect'), { userId: '42' });
      assert.equal(calls, 1);
      assert.equal(log.sockets.length, 2);
      assert.deepEqual(recorder.stateNames, ['connecting', 'reconnecting', 'open']);
      assert.equal(recorder.states[1].code, 4001);
   });

   test('application pings are answered and keep the connection open', TEST, async () => {
      const { WebSocket: Counting, log } = countingWebSocket();
      const { client, recorder } = makeClient({
         url: gateway.url,
         token: token42,
         WebSocket: Counting,
         pingIntervalMs: 100,
         pongTimeoutMs: 1000,
      });
      await withTimeout(client.connect(), 5000, 'connect');
      await sleep(1200);
      const pings = log.sent.filter((text) => JSON.parse(text).type === 'ping').length;
      const pongs = log.received.filter((text) => JSON.parse(text).type === 'pong').length;
      assert.ok(pings >= 5, `${pings} pings`);
      assert.ok(pongs >= pings - 1, `${pongs} pongs for ${pings} pings`);
      assert.equal(log.sockets.length, 1);
      assert.deepEqual(recorder.stateNames, ['connecting', 'open']);
      assert.deepEqual(recorder.errors, []);
   });

   test('close() closes the connection and stops reconnecting', TEST, async () => {
      const { WebSocket: Counting, log } = countingWebSocket();
      const { client, recorder } = makeClient({
         url: gateway.url,
         token: token42,
         WebSocket: Counting,
         reconnect: { initialDelayMs: 10 },
      });
      await withTimeout(client.connect(), 5000, 'connect');
      client.close();
      await publish(redis.port, 'user:42:notifications', '{"after":"close"}');
      await sleep(500);
      assert.equal(log.sockets.length, 1);
      assert.deepEqual(recorder.stateNames, ['connecting', 'open', 'closed']);
      assert.deepEqual(recorder.notifications, []);
   });
});

describe('gateway restarts', SUITE, () => {
   let ownGateway;
   after(async () => {
      await ownGateway?.stop('SIGKILL');
   }, HOOK);

   test(
      'after SIGKILL and a restart on the same port: reconnecting, then open, then delivery',
      TEST,
      async () => {
         ownGateway = await startGateway({ redisPort: redis.port });
         const { client, recorder } = makeClient({
            url: ownGateway.url,
            token: token42,
            reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
         });
         await withTimeout(client.connect(), 5000, 'connect');
         await ownGateway.stop('SIGKILL');
         await withTimeout(recorder.waitForState('reconnecting'), 5000, 'reconnecting');
         assert.equal(recorder.states.find((s) => s.state === 'reconnecting').code, 1006);
         await sleep(300); // let a few attempts fail against the dead port
         ownGateway = await ownGateway.restart();
         await withTimeout(recorder.waitForState('open', 5000, 2), 6000, 'open again');
         const names = recorder.stateNames;
         assert.deepEqual(names.slice(0, 3), ['connecting', 'open', 'reconnecting']);
         assert.ok(
            names.slice(2, -1).every((name) => name === 'reconnecting'),
            names.join(' -> '),
         );
         assert.equal(names.at(-1), 'open');
         await publish(redis.port, 'user:42:notifications', '{"after":"restart"}');
         await withTimeout(recorder.waitForNotifications(1), 6000, 'notification after restart');
         assert.deepEqual(recorder.notifications, [{ after: 'restart' }]);
      },
   );
});

describe('address lockout', SUITE, () => {
   let lockingGateway;
   after(async () => {
      await lockingGateway?.stop();
   }, HOOK);

   test('HTTP 429 while locked out: error handshake_refused and a long wait', TEST, async () => {
      lockingGateway = await startGateway({
         redisPort: redis.port,
         settings: { 'auth.max_failures': 1 },
      });
      const { client, recorder } = makeClient({
         url: lockingGateway.url,
         token: 'no-such-session',
         getToken: async () => token42,
         reconnect: { initialDelayMs: 10, maxDelayMs: 60000, jitter: false },
      });
      client.connect().catch(() => {});
      await withTimeout(recorder.waitForState('reconnecting', 5000, 2), 6000, 'second retry');
      const retries = recorder.states.filter((s) => s.state === 'reconnecting');
      assert.equal(retries[0].code, 4001);
      assert.equal(retries[1].status, 429);
      assert.equal(retries[1].delayMs, 60000);
      assert.deepEqual(
         recorder.errors.map((e) => e.code),
         ['token_refused', 'handshake_refused'],
      );
      assert.equal(client.state, 'reconnecting');
   });
});
