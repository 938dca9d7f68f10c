// Reliable delivery end to end: publishers call FCALL notify_publish through the two common Node
// Redis clients, and NotifyClient resumes after a reconnect with what it missed, once and in
// order, or reports the gap.
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient } from 'redis';
import Redis from 'ioredis';
import { NotifyClient } from '../notify-client.js';
import { Recorder } from './support/recorder.mjs';
import { startRedis, startGateway, makeToken, waitFor } from './support/processes.mjs';

const TEST = { timeout: 20000 };
const SUITE = { timeout: 90000 };
const HOOK = { timeout: 30000 };
const clients = [];

/** A Storage stand-in, as sessionStorage would be in a page. */
function memoryStorage() {
   const items = new Map();
   return { getItem: (key) => items.get(key) ?? null, setItem: (key, value) => items.set(key, value) };
}

let redis;
let gateway;
let nodeRedis;
let ioredis;
let token;

before(async () => {
   redis = await startRedis();
   gateway = await startGateway({ redisPort: redis.port });
   token = await makeToken(77);
   nodeRedis = createClient({ url: `redis://127.0.0.1:${redis.port}` });
   await nodeRedis.connect();
   ioredis = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: false });
   // /readyz can come before the function library is loaded.
   await waitFor(
      async () => JSON.stringify(await nodeRedis.sendCommand(['FUNCTION', 'LIST'])).includes('notify'),
      10000,
      'notify function library loaded',
   );
}, HOOK);

after(async () => {
   await nodeRedis?.quit();
   ioredis?.disconnect();
   await gateway?.stop();
   await redis?.stop();
}, HOOK);

afterEach(() => {
   for (const client of clients.splice(0)) client.close();
});

function makeClient(options) {
   const client = new NotifyClient({ WebSocket, url: gateway.url, token, ...options });
   clients.push(client);
   const recorder = new Recorder(client);
   const gaps = [];
   client.on('gap', (gap) => gaps.push(gap));
   return { client, recorder, gaps };
}

const publishWithNodeRedis = (n) =>
   nodeRedis.sendCommand(['FCALL', 'notify_publish', '1', 'user:77', JSON.stringify({ n })]);
const publishWithIoredis = (n) =>
   ioredis.call('FCALL', 'notify_publish', 1, 'user:77', JSON.stringify({ n }));

describe('history with notify_publish', SUITE, () => {
   test('both Node clients publish; a reconnected client gets exactly what it missed', TEST, async () => {
      const storage = memoryStorage();
      const first = makeClient({ positionStorage: storage });
      await first.client.connect();
      const id0 = await publishWithNodeRedis(0);
      assert.match(id0, /^\d+-\d+$/);
      await publishWithIoredis(1);
      await first.recorder.waitForNotifications(2);
      assert.deepEqual(first.recorder.notifications, [{ n: 0 }, { n: 1 }]);
      assert.match(first.client.positions.user, /^\d+-\d+$/);
      first.client.close();

      for (let n = 2; n < 12; n += 1) {
         await (n % 2 ? publishWithIoredis(n) : publishWithNodeRedis(n));
      }
      // A new client object, as after a page reload: the positions come from the storage.
      const second = makeClient({ positionStorage: storage });
      await second.client.connect();
      await second.recorder.waitForNotifications(10);
      await publishWithNodeRedis(12);
      await second.recorder.waitForNotifications(11);
      assert.deepEqual(
         second.recorder.notifications.map((m) => m.n),
         [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      );
      assert.deepEqual(second.gaps, []);
   });

   test('a retried publish with the same message id is delivered once', TEST, async () => {
      const { client, recorder } = makeClient({});
      await client.connect();
      const payload = JSON.stringify({ n: 'once' });
      const a = await ioredis.call('FCALL', 'notify_publish', 1, 'user:77', payload, 'msg-1');
      const b = await nodeRedis.sendCommand(['FCALL', 'notify_publish', '1', 'user:77', payload, 'msg-1']);
      assert.equal(a, b);
      await publishWithIoredis('after');
      await recorder.waitForNotifications(2);
      assert.deepEqual(recorder.notifications, [{ n: 'once' }, { n: 'after' }]);
   });

   test('missed messages that are gone arrive as a gap event first', TEST, async () => {
      const storage = memoryStorage();
      const first = makeClient({ positionStorage: storage });
      await first.client.connect();
      await publishWithNodeRedis('a');
      await first.recorder.waitForNotifications(1);
      first.client.close();
      const lostIds = [await publishWithNodeRedis('lost1'), await publishWithNodeRedis('lost2')];
      await publishWithNodeRedis('kept');
      await nodeRedis.sendCommand(['XDEL', 'notify:{user:77}:history', ...lostIds]);
      const second = makeClient({ positionStorage: storage });
      await second.client.connect();
      await waitFor(() => second.gaps.length === 1, 5000, 'a gap event');
      assert.equal(second.gaps[0].reason, 'trimmed');
      assert.equal(second.gaps[0].until, lostIds[1]);
      await second.recorder.waitForNotifications(1);
      assert.deepEqual(second.recorder.notifications, [{ n: 'kept' }]);
   });

   test('after a stream started over, what it gets while away is not lost', TEST, async () => {
      const storage = memoryStorage();
      const first = makeClient({ positionStorage: storage });
      await first.client.connect();
      await publishWithNodeRedis('old');
      await first.recorder.waitForNotifications(1);
      first.client.close();
      await nodeRedis.sendCommand(['DEL', 'notify:{user:77}:history']); // as if it expired
      const second = makeClient({ positionStorage: storage });
      await second.client.connect();
      await waitFor(() => second.gaps.length === 1, 5000, 'a gap event');
      assert.equal(second.gaps[0].reason, 'expired');
      assert.equal(second.client.positions.user, '0-0');
      second.client.close();
      await publishWithIoredis('while away');
      const third = makeClient({ positionStorage: storage });
      await third.client.connect();
      await third.recorder.waitForNotifications(1);
      assert.deepEqual(third.recorder.notifications, [{ n: 'while away' }]);
      assert.deepEqual(third.gaps, []);
   });

   test('a payload that is not JSON is refused to the publisher', TEST, async () => {
      await assert.rejects(
         ioredis.call('FCALL', 'notify_publish', 1, 'user:77', 'not json'),
         /payload is not JSON/,
      );
   });
});
