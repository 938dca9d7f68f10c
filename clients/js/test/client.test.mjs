// Unit tests of NotifyClient against a fake WebSocket: no gateway, no Redis.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotifyClient, backoffDelay } from '../notify-client.js';
import { Recorder, fakeWebSocket } from './support/recorder.mjs';
import { withTimeout } from './support/processes.mjs';

const GATEWAY_URL = 'ws://gateway.invalid/ws';
const TEST = { timeout: 10000 };
const clients = [];

/** A client that is closed after the test whatever happens. */
function makeClient(options) {
   const client = new NotifyClient({ url: GATEWAY_URL, pingIntervalMs: 0, ...options });
   clients.push(client);
   return { client, recorder: new Recorder(client) };
}

afterEach(() => {
   for (const client of clients.splice(0)) client.close();
});

/** A refused connection: the socket closes with 1006 without opening. */
const refuse = (socket) => socket.serverClose(1006, '');

describe('backoffDelay', () => {
   test('grows by the factor and stops at the cap without jitter', () => {
      const options = { initialDelayMs: 500, maxDelayMs: 30000, factor: 2, jitter: false };
      const delays = [0, 1, 2, 3, 4, 5, 6, 7, 100, 5000].map((n) => backoffDelay(n, options));
      assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
   });

   test('full jitter stays between 0 and the ceiling', () => {
      const options = { initialDelayMs: 100, maxDelayMs: 1000, factor: 3, jitter: true };
      assert.equal(
         backoffDelay(2, options, () => 0),
         0,
      );
      assert.equal(
         backoffDelay(2, options, () => 0.5),
         450,
      );
      assert.equal(
         backoffDelay(9, options, () => 0.999999),
         1000,
      );
      for (let failures = 0; failures < 50; failures++) {
         const delay = backoffDelay(failures, options);
         assert.ok(delay >= 0 && delay <= Math.min(1000, 100 * 3 ** failures), `delay ${delay}`);
      }
   });

   test('never returns NaN, also with a zero initial delay', () => {
      assert.equal(backoffDelay(10000, { initialDelayMs: 0, maxDelayMs: 10, jitter: false }), 0);
      assert.equal(backoffDelay(10000, { initialDelayMs: 1, maxDelayMs: 10, jitter: false }), 10);
   });
});

describe('NotifyClient with a fake WebSocket', () => {
   test('rejects missing WebSocket, token and bad options', () => {
      assert.throws(
         () => new NotifyClient({ url: GATEWAY_URL, token: 't', WebSocket: undefined }),
         TypeError,
      );
      const FakeWebSocket = fakeWebSocket();
      assert.throws(
         () => new NotifyClient({ url: GATEWAY_URL, WebSocket: FakeWebSocket }),
         /token/,
      );
      assert.throws(
         () => new NotifyClient({ url: 'ftp://x/ws', token: 't', WebSocket: FakeWebSocket }),
         TypeError,
      );
      assert.throws(
         () =>
            new NotifyClient({
               url: GATEWAY_URL,
               token: 't',
               tokenIn: 'header',
               WebSocket: FakeWebSocket,
            }),
         TypeError,
      );
   });

   test(
      'authenticates with a message by default; the GATEWAY_URL carries no token',
      TEST,
      async () => {
         const FakeWebSocket = fakeWebSocket();
         const { client, recorder } = makeClient({
            token: 'secret token',
            WebSocket: FakeWebSocket,
         });
         assert.equal(client.state, 'closed');
         const info = await withTimeout(client.connect(), 2000, 'connect');
         assert.deepEqual(info, { userId: '42' });
         assert.equal(client.userId, '42');
         assert.deepEqual(recorder.stateNames, ['connecting', 'open']);
         const [socket] = FakeWebSocket.instances;
         assert.equal(socket.url, GATEWAY_URL);
         assert.deepEqual(socket.messages, [{ type: 'auth', token: 'secret token', format: 'envelope' }]);
      },
   );

   test(
      'tokenIn query puts the encoded token in the GATEWAY_URL and sends no auth message',
      TEST,
      async () => {
         const FakeWebSocket = fakeWebSocket((socket) => {
            socket.open();
            socket.receive('{"type":"auth_ok","userId":"7"}');
         });
         const { client } = makeClient({
            url: 'ws://gateway.invalid/ws?x=1',
            token: 'a+b c/d',
            tokenIn: 'query',
            WebSocket: FakeWebSocket,
         });
         assert.deepEqual(await withTimeout(client.connect(), 2000, 'connect'), { userId: '7' });
         const [socket] = FakeWebSocket.instances;
         assert.equal(new globalThis.URL(socket.url).searchParams.get('token'), 'a+b c/d');
         assert.equal(new globalThis.URL(socket.url).searchParams.get('x'), '1');
         assert.deepEqual(socket.sent, []);
      },
   );

   test('delivers notifications; control messages are not notifications', TEST, async () => {
      const FakeWebSocket = fakeWebSocket();
      const seen = [];
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         onNotification: (m) => seen.push(m),
      });
      await withTimeout(client.connect(), 2000, 'connect');
      const [socket] = FakeWebSocket.instances;
      socket.receive('{"a":1}');
      socket.receive('{"type":"pong"}');
      socket.receive('not json');
      socket.receive('[1,2]');
      socket.receive('{"type":"error","code":"bad_json","message":"not JSON"}');
      socket.receive('{"type":"order_shipped","id":3}');
      assert.deepEqual(seen, [{ a: 1 }, 'not json', [1, 2], { type: 'order_shipped', id: 3 }]);
      assert.deepEqual(recorder.notifications, seen);
      assert.equal(recorder.errors.length, 1);
      assert.equal(recorder.errors[0].code, 'server_error');
      assert.equal(recorder.errors[0].serverCode, 'bad_json');
      assert.equal(client.state, 'open');
   });

   test('retry delays grow by the factor up to the cap', TEST, async () => {
      const FakeWebSocket = fakeWebSocket(refuse);
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 5, maxDelayMs: 40, factor: 2, jitter: false },
      });
      client.connect().catch(() => {});
      await withTimeout(recorder.waitForState('reconnecting', 5000, 7), 6000, 'seven retries');
      const retries = recorder.states.filter((s) => s.state === 'reconnecting').slice(0, 7);
      assert.deepEqual(
         retries.map((s) => s.delayMs),
         [5, 10, 20, 40, 40, 40, 40],
      );
      assert.deepEqual(
         retries.map((s) => s.attempt),
         [1, 2, 3, 4, 5, 6, 7],
      );
      assert.ok(retries.every((s) => s.code === 1006));
      assert.equal(recorder.stateNames[0], 'connecting');
   });

   test('with jitter every delay is within [0, ceiling]', TEST, async () => {
      const FakeWebSocket = fakeWebSocket(refuse);
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 2, maxDelayMs: 16, factor: 2 },
      });
      client.connect().catch(() => {});
      await withTimeout(recorder.waitForState('reconnecting', 5000, 12), 6000, 'twelve retries');
      const delays = recorder.states
         .filter((s) => s.state === 'reconnecting')
         .map((s) => s.delayMs);
      delays
         .slice(0, 12)
         .forEach((delay, i) =>
            assert.ok(delay >= 0 && delay <= Math.min(16, 2 * 2 ** i), `retry ${i}: ${delay}`),
         );
   });

   test(
      'a connection that stayed up resets the backoff; a flapping one does not',
      TEST,
      async () => {
         let stable = false;
         const FakeWebSocket = fakeWebSocket((socket) => {
            socket.open();
            // After auth_ok, the server drops the connection at once (flapping) or after 60 ms.
            setTimeout(() => socket.serverClose(1001, 'idle timeout'), stable ? 60 : 5);
         });
         const { client, recorder } = makeClient({
            token: 't',
            WebSocket: FakeWebSocket,
            reconnect: { initialDelayMs: 5, maxDelayMs: 1000, jitter: false, resetAfterMs: 40 },
         });
         await withTimeout(client.connect(), 2000, 'connect');
         await withTimeout(recorder.waitForState('reconnecting', 5000, 3), 6000, 'three flaps');
         stable = true;
         await withTimeout(
            recorder.waitForState('reconnecting', 5000, 5),
            6000,
            'two stable drops',
         );
         const delays = recorder.states
            .filter((s) => s.state === 'reconnecting')
            .map((s) => s.delayMs);
         assert.deepEqual(delays.slice(0, 3), [5, 10, 20]);
         // The 4th drop ends the first stable connection: back to the initial delay.
         assert.deepEqual(delays.slice(3, 5), [5, 5]);
      },
   );

   test(
      '4001 without getToken: closed after exactly one attempt, connect() rejects',
      TEST,
      async () => {
         const FakeWebSocket = fakeWebSocket();
         const { client, recorder } = makeClient({
            token: 'bad',
            WebSocket: FakeWebSocket,
            reconnect: { initialDelayMs: 1 },
         });
         await assert.rejects(withTimeout(client.connect(), 2000, 'connect'), (error) => {
            assert.equal(error.code, 'token_refused');
            assert.equal(error.closeCode, 4001);
            return true;
         });
         await sleep(50);
         assert.equal(FakeWebSocket.instances.length, 1);
         assert.deepEqual(recorder.stateNames, ['connecting', 'closed']);
         assert.equal(recorder.states[1].code, 4001);
         assert.equal(recorder.errors.at(-1).code, 'token_refused');
         assert.equal(recorder.errors.at(-1).fatal, true);
         assert.equal(recorder.errors.at(-1).closeCode, 4001);
      },
   );

   test('4001 with getToken: one retry with the fresh token, then open', TEST, async () => {
      const FakeWebSocket = fakeWebSocket();
      let calls = 0;
      const { client, recorder } = makeClient({
         token: 'bad',
         getToken: async () => (calls++, 'fresh'),
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 1 },
      });
      assert.deepEqual(await withTimeout(client.connect(), 2000, 'connect'), { userId: '42' });
      assert.equal(calls, 1);
      assert.equal(FakeWebSocket.instances.length, 2);
      assert.deepEqual(
         FakeWebSocket.instances.map((s) => s.messages[0].token),
         ['bad', 'fresh'],
      );
      assert.deepEqual(recorder.stateNames, ['connecting', 'reconnecting', 'open']);
   });

   test('getToken is asked before every attempt after the first', TEST, async () => {
      const tokens = ['t2', 't3'];
      const FakeWebSocket = fakeWebSocket((socket, index) =>
         index < 2 ? refuse(socket) : socket.open(),
      );
      const { client } = makeClient({
         token: 't1',
         getToken: () => tokens.shift(),
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 1, jitter: false },
      });
      await withTimeout(client.connect(), 2000, 'connect');
      assert.equal(FakeWebSocket.instances.length, 3);
      assert.deepEqual(FakeWebSocket.instances[2].messages[0], { type: 'auth', token: 't3', format: 'envelope' });
   });

   test('getToken returning the refused token again stops instead of looping', TEST, async () => {
      const FakeWebSocket = fakeWebSocket();
      const { client, recorder } = makeClient({
         getToken: async () => 'bad',
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 1 },
      });
      await assert.rejects(withTimeout(client.connect(), 2000, 'connect'), {
         code: 'token_refused',
      });
      await sleep(30);
      assert.equal(FakeWebSocket.instances.length, 1);
      assert.equal(recorder.stateNames.at(-1), 'closed');
   });

   test('getToken failing is retried with backoff; null means signed out', TEST, async () => {
      const answers = [
         () => {
            throw new Error('api down');
         },
         () => null,
      ];
      const FakeWebSocket = fakeWebSocket();
      const { client, recorder } = makeClient({
         getToken: async () => answers.shift()(),
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 1 },
      });
      await assert.rejects(withTimeout(client.connect(), 2000, 'connect'), { code: 'no_token' });
      assert.deepEqual(
         recorder.errors.map((e) => e.code),
         ['token_unavailable', 'no_token'],
      );
      assert.equal(FakeWebSocket.instances.length, 0);
   });

   test('4003 and HTTP 429 wait maxDelayMs, 4005 waits lockoutDelayMs', TEST, async () => {
      const FakeWebSocket = fakeWebSocket((socket, index) => {
         if (index === 0) socket.fail('Unexpected server response: 429');
         else if (index === 1) {
            socket.open();
            setTimeout(() => socket.serverClose(4005, 'locked out'));
         } else {
            socket.open();
            setTimeout(() => socket.serverClose(4003, 'too many connections for this user'));
         }
      });
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 1, maxDelayMs: 50, lockoutDelayMs: 80, jitter: false },
      });
      client.connect().catch(() => {});
      await withTimeout(recorder.waitForState('reconnecting', 5000, 3), 6000, 'three retries');
      const retries = recorder.states.filter((s) => s.state === 'reconnecting').slice(0, 3);
      assert.deepEqual(
         retries.map((s) => s.delayMs),
         [50, 80, 50],
      );
      assert.equal(retries[0].status, 429);
      assert.deepEqual(
         retries.map((s) => s.code),
         [1006, 4005, 4003],
      );
      assert.deepEqual(
         recorder.errors.slice(0, 3).map((e) => e.code),
         ['handshake_refused', 'locked_out', 'too_many_connections'],
      );
   });

   test('HTTP 403 stops: closed with error forbidden', TEST, async () => {
      const FakeWebSocket = fakeWebSocket((socket) =>
         socket.fail('Unexpected server response: 403'),
      );
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 1 },
      });
      await assert.rejects(withTimeout(client.connect(), 2000, 'connect'), { code: 'forbidden' });
      await sleep(30);
      assert.equal(FakeWebSocket.instances.length, 1);
      assert.deepEqual(recorder.stateNames, ['connecting', 'closed']);
   });

   test('pings after silence; answered pings keep the connection', TEST, async () => {
      const FakeWebSocket = fakeWebSocket();
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         pingIntervalMs: 20,
         pongTimeoutMs: 1000,
      });
      await withTimeout(client.connect(), 2000, 'connect');
      await sleep(250);
      const [socket] = FakeWebSocket.instances;
      const pings = socket.messages.filter((m) => m.type === 'ping').length;
      assert.ok(pings >= 4, `only ${pings} pings`);
      assert.equal(FakeWebSocket.instances.length, 1);
      assert.equal(client.state, 'open');
      assert.deepEqual(recorder.errors, []);
   });

   test('an unanswered ping drops the connection and reconnects', TEST, async () => {
      const FakeWebSocket = fakeWebSocket();
      FakeWebSocket.answerPings = false;
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         pingIntervalMs: 20,
         pongTimeoutMs: 30,
         reconnect: { initialDelayMs: 1, jitter: false },
      });
      await withTimeout(client.connect(), 2000, 'connect');
      await withTimeout(recorder.waitForState('open', 2000, 2), 3000, 'reopen after pong timeout');
      assert.equal(recorder.errors[0].code, 'pong_timeout');
      assert.equal(FakeWebSocket.instances[0].terminated, true);
      assert.deepEqual(recorder.stateNames.slice(0, 4), [
         'connecting',
         'open',
         'reconnecting',
         'open',
      ]);
   });

   test(
      'no auth_ok within connectTimeoutMs: the attempt is abandoned and retried',
      TEST,
      async () => {
         const FakeWebSocket = fakeWebSocket((socket, index) => index > 0 && socket.open());
         const { client, recorder } = makeClient({
            token: 't',
            WebSocket: FakeWebSocket,
            connectTimeoutMs: 30,
            reconnect: { initialDelayMs: 1 },
         });
         await withTimeout(client.connect(), 2000, 'connect');
         assert.equal(recorder.errors[0].code, 'connect_timeout');
         assert.equal(FakeWebSocket.instances[0].terminated, true);
         assert.equal(FakeWebSocket.instances.length, 2);
      },
   );

   test('close() stops reconnecting, also while waiting for getToken', TEST, async () => {
      const FakeWebSocket = fakeWebSocket(refuse);
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 20, jitter: false },
      });
      const connecting = client.connect();
      await withTimeout(recorder.waitForState('reconnecting'), 2000, 'first retry');
      client.close();
      await assert.rejects(connecting, { code: 'closed' });
      const made = FakeWebSocket.instances.length;
      await sleep(100);
      assert.equal(FakeWebSocket.instances.length, made);
      assert.equal(client.state, 'closed');
      assert.equal(recorder.stateNames.at(-1), 'closed');

      let release;
      const { client: waiting } = makeClient({
         getToken: () => new Promise((resolve) => (release = resolve)),
         WebSocket: FakeWebSocket,
      });
      const pending = waiting.connect();
      waiting.close();
      release('t');
      await assert.rejects(pending, { code: 'closed' });
      await sleep(20);
      assert.equal(FakeWebSocket.instances.length, made);
   });

   test('close() on an open connection sends 1000 and does not reconnect', TEST, async () => {
      const FakeWebSocket = fakeWebSocket();
      const { client, recorder } = makeClient({
         token: 't',
         WebSocket: FakeWebSocket,
         reconnect: { initialDelayMs: 1 },
      });
      await withTimeout(client.connect(), 2000, 'connect');
      client.close();
      await sleep(50);
      assert.equal(FakeWebSocket.instances[0].closedByClient, 1000);
      assert.equal(FakeWebSocket.instances.length, 1);
      assert.deepEqual(recorder.stateNames, ['connecting', 'open', 'closed']);
      // connect() again starts over.
      await withTimeout(client.connect(), 2000, 'connect again');
      assert.equal(FakeWebSocket.instances.length, 2);
   });
});
