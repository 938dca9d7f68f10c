// The client side of bench/churn: connects and disconnects at a fixed rate against a running
// gateway, printed as one JSON line on stdout. Raw sockets (no WebSocket library): the client
// must cost less than the gateway it measures.
//
//   node bench/churn.mjs --port P --secret S --rate R --seconds T [--users U] [--max-open N]
//
// Every 10 ms, R/100 new connections start: HTTP upgrade with ?token=<HS256 JWT of user c<k>>,
// wait for auth_ok, send a close frame, end. Users cycle over U ids (default: a new id every
// connection, so each connect subscribes and each disconnect unsubscribes). A connection that has
// no auth_ok after 5 s fails. At most N (default 4000) are in flight; a slot that finds none
// free is counted as skipped, so the achieved rate is printed, never assumed.

import crypto from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values } = parseArgs({
   options: {
      port: { type: 'string' }, secret: { type: 'string' }, rate: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '10' }, users: { type: 'string', default: '0' },
      'max-open': { type: 'string', default: '4000' }, host: { type: 'string', default: '127.0.0.1' },
   },
});
const port = Number(values.port);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const users = Number(values.users);
const maxOpen = Number(values['max-open']);
if (!port || !values.secret || !(rate > 0) || !(seconds > 0) || !/^127\./.test(values.host)) {
   process.stderr.write('usage: node bench/churn.mjs --port P --secret S --rate R --seconds T [--users U] (loopback only)\n');
   process.exit(2);
}

const jwtHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const expiry = Math.floor(Date.now() / 1000) + 3600;
function token(sub) {
   const body = Buffer.from(JSON.stringify({ sub, exp: expiry })).toString('base64url');
   const signature = crypto.createHmac('sha256', values.secret).update(`${jwtHeader}.${body}`).digest('base64url');
   return `${jwtHeader}.${body}.${signature}`;
}
// A masked close frame with code 1000 (mask 0: the payload is sent as is, which is allowed).
const closeFrame = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

let started = 0, admitted = 0, failed = 0, skipped = 0, open = 0, serial = 0;
const latencies = [];
const failures = {};
const fail = (why) => { failed += 1; failures[why] = (failures[why] || 0) + 1; };

function connectOne() {
   if (open >= maxOpen) { skipped += 1; return; }
   const user = `c${users > 0 ? serial % users : serial}`;
   serial += 1;
   started += 1;
   open += 1;
   const begun = performance.now();
   const socket = net.connect({ host: values.host, port });
   let seen = '';
   let done = false;
   const finish = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (why) { fail(why); socket.destroy(); }
   };
   const timer = setTimeout(() => finish('timeout'), 5000);
   socket.on('connect', () => {
      socket.write(`GET /ws?token=${token(user)} HTTP/1.1\r\nHost: ${values.host}\r\nUpgrade: websocket\r\n` +
         'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
   });
   socket.on('data', (chunk) => {
      if (done) return;
      seen += chunk.toString('latin1');
      if (!seen.startsWith('HTTP/1.1 101')) { if (seen.includes('\r\n')) finish(`http ${seen.slice(9, 12)}`); return; }
      if (seen.includes('"auth_ok"')) {
         admitted += 1;
         latencies.push(performance.now() - begun);
         finish(null);
         socket.end(closeFrame);
      } else if (seen.includes('"error"') || seen.includes('\x88')) {
         finish('refused');
      }
   });
   socket.on('error', () => finish('socket error'));
   socket.on('close', () => { finish('closed early'); open -= 1; });
}

const perTick = rate / 100;
let owed = 0;
const startedAt = performance.now();
const ticker = setInterval(() => {
   const elapsed = (performance.now() - startedAt) / 1000;
   if (elapsed >= seconds) { clearInterval(ticker); return; }
   // Catch up on late ticks, so a slow event loop shows as skipped or a lower rate, not drift.
   const due = Math.floor(elapsed * rate) - (started + skipped);
   owed = Math.max(0, Math.min(due, perTick * 5));
   for (let i = 0; i < owed; i += 1) connectOne();
}, 10);

await new Promise((resolve) => {
   const check = setInterval(() => {
      if ((performance.now() - startedAt) / 1000 >= seconds && open === 0) { clearInterval(check); resolve(); }
      if ((performance.now() - startedAt) / 1000 >= seconds + 15) { clearInterval(check); resolve(); }
   }, 50);
});
const wall = (performance.now() - startedAt) / 1000;
latencies.sort((a, b) => a - b);
const pick = (p) => (latencies.length ? Number(latencies[Math.min(latencies.length - 1, Math.ceil(p / 100 * latencies.length) - 1)].toFixed(2)) : null);
process.stdout.write(JSON.stringify({
   target_rate: rate, seconds, users: users || 'unique', started, admitted, failed, skipped, still_open: open,
   achieved_per_s: Number((admitted / seconds).toFixed(0)), wall_s: Number(wall.toFixed(2)),
   auth_ok_p50_ms: pick(50), auth_ok_p99_ms: pick(99), failures,
}) + '\n');
