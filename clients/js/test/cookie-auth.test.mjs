// The gateway accepts the session cookie of a real express-session + connect-redis app: a page
// of that app opens the WebSocket with its cookie and sends nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { startRedis, startGateway, publish, withTimeout } from './support/processes.mjs';
import { startExpressApp } from './support/express-app.mjs';

const TEST = { timeout: 20000 };
const SUITE = { timeout: 90000 };
const HOOK = { timeout: 30000 };
const SECRET = 'express-session secret for the client tests';

let redis;
let app;
let gateway;

before(async () => {
   redis = await startRedis();
   app = await startExpressApp({ redisPort: redis.port, secrets: [SECRET] });
   gateway = await startGateway({
      redisPort: redis.port,
      settings: {
         'auth.cookie_name': 'connect.sid',
         'auth.cookie_secrets': `an-older-secret, ${SECRET}`, // rotation: any listed one verifies
         'server.allowed_origins': app.origin,
         'auth.max_failures': 0, // bad cookies from 127.0.0.1 on purpose
      },
   });
}, HOOK);

after(async () => {
   await gateway?.stop();
   await app?.stop();
   await redis?.stop();
}, HOOK);

/** POSTs to the app with `cookie`; resolves with the status and the Set-Cookie pairs. */
function post(path, cookie) {
   return withTimeout(
      new Promise((resolve, reject) => {
         const headers = cookie ? { Cookie: cookie } : {};
         const request = http.request(
            { host: '127.0.0.1', port: app.port, path, method: 'POST', headers },
            (response) => {
               response.resume();
               const cookies = (response.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
               response.on('end', () => resolve({ status: response.statusCode, cookies }));
            },
         );
         request.on('error', reject);
         request.end();
      }),
      5000,
      `POST ${path}`,
   );
}

/** Logs `user` in; resolves with the Cookie header a browser would send back. */
async function login(user) {
   const { status, cookies } = await post(`/login?user=${user}`);
   assert.equal(status, 200);
   const sessionCookie = cookies.find((c) => c.startsWith('connect.sid='));
   assert.ok(sessionCookie, `no connect.sid in ${JSON.stringify(cookies)}`);
   return sessionCookie;
}

/**
 * Opens a WebSocket like a page of `origin` whose browser holds `cookie`. Resolves with the
 * socket and helpers once it is open, or with { status } when the upgrade is refused.
 */
function open(cookie, origin = app.origin) {
   return withTimeout(
      new Promise((resolve, reject) => {
         const socket = new WebSocket(gateway.url, { origin, headers: { Cookie: cookie } });
         const messages = [];
         const waiting = [];
         socket.on('message', (data) => {
            const message = JSON.parse(String(data));
            const next = waiting.shift();
            if (next) next(message);
            else messages.push(message);
         });
         const closed = new Promise((done) => socket.on('close', (code) => done(code)));
         socket.once('unexpected-response', (_, response) => resolve({ status: response.statusCode }));
         socket.once('error', (error) => reject(error));
         socket.once('open', () =>
            resolve({
               socket,
               closed,
               next: () =>
                  withTimeout(
                     messages.length > 0
                        ? Promise.resolve(messages.shift())
                        : new Promise((done) => waiting.push(done)),
                     5000,
                     'next message',
                  ),
            }),
         );
      }),
      5000,
      'WebSocket upgrade',
   );
}

describe('the web app session cookie', SUITE, () => {
   test('a logged-in page gets auth_ok and its notifications without sending anything', TEST, async () => {
      const cookie = await login(42);
      const connection = await open(cookie);
      assert.deepEqual(await connection.next(), { type: 'auth_ok', userId: '42' });
      assert.equal(await publish(redis.port, 'user:42:notifications', '{"n":1}'), 1);
      assert.deepEqual(await connection.next(), { n: 1 });
      connection.socket.close();
   });

   test('after logout the same cookie is refused with 4001', TEST, async () => {
      const cookie = await login(43);
      const first = await open(cookie);
      assert.deepEqual(await first.next(), { type: 'auth_ok', userId: '43' });
      first.socket.close();
      assert.equal((await post('/logout', cookie)).status, 200);
      const after = await open(cookie);
      assert.equal(await withTimeout(after.closed, 5000, 'close after logout'), 4001);
   });

   test('a tampered cookie is refused with 4001', TEST, async () => {
      const cookie = await login(44);
      // Another session id under the original signature.
      const tampered = cookie.replace('connect.sid=s%3A', 'connect.sid=s%3AX');
      assert.notEqual(tampered, cookie);
      const connection = await open(tampered);
      assert.equal(await withTimeout(connection.closed, 5000, 'close of a tampered cookie'), 4001);
   });

   test('a page of another origin is refused with 403 even with a valid cookie', TEST, async () => {
      const cookie = await login(45);
      const refused = await open(cookie, 'https://evil.example');
      assert.equal(refused.status, 403);
   });
});
