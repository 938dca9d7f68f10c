// The client side of bench/resume-storm: one reconnect storm against a running gateway and its
// Redis, printed as one JSON line on stdout (progress on stderr); or, with `report`, the table
// of medians over a results file. See bench/README.md.
//
//   node bench/resume_storm.mjs measure --url ws://127.0.0.1:P/ws --redis-port R --secret S
//        --variant resume|resume-0|plain --connections N --missed M
//        [--sources 50] [--redis-pid PID] [--gateway-pid PID] [--clk-tck 100] [--run 1]
//        [--phase-timeout-s 120] [--grace-ms 1000]
//   node bench/resume_storm.mjs report --results FILE
//
// One measurement:
//   1. N clients, user ids 0..N-1, connect with ?token=<HS256 JWT>&format=envelope and get
//      auth_ok. One FCALL notify_publish per user (pipelined, raw RESP); every client gets it
//      and keeps its stream id.
//   2. All close. resume and plain: M more per user are published (payload {"u":id,"s":1..M}),
//      and the gateway is given time to take them in (its notify_redis_messages_total).
//   3. The storm: all N reconnect at once (one synchronous loop of `new WebSocket`).
//        resume    &resume_user=<kept id>: each must get exactly its M missed, in order, once
//        resume-0  &resume_user=<kept id>, nothing was published: nothing to replay
//        plain     no resume: starts at the stream's end, must get nothing (M were published)
//      A client is live again when it has auth_ok and all it must get. The storm ends when
//      every client is live or has failed; CPU of redis-server and the gateway (utime+stime
//      from /proc/<pid>/stat) is read at its start and end.
//   4. A grace period catches late extras (duplicates), then every client is checked.

import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

let WebSocket; // ws, loaded from clients/js/node_modules in main

const log = (...parts) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

// --- Small pieces --------------------------------------------------------------------------------

const jwtHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
function mintToken(secret, sub, exp) {
   const body = Buffer.from(JSON.stringify({ sub, exp })).toString('base64url');
   const signature = crypto.createHmac('sha256', secret).update(`${jwtHeader}.${body}`).digest('base64url');
   return `${jwtHeader}.${body}.${signature}`;
}

/** Stream ids "<ms>-<seq>" compared as numbers; true when a comes after b. */
function idAfter(a, b) {
   if (b === undefined || b === null) return true;
   const [am, as] = String(a).split('-').map(BigInt);
   const [bm, bs] = String(b).split('-').map(BigInt);
   return am > bm || (am === bm && as > bs);
}

function percentile(sorted, p) {
   if (sorted.length === 0) return null;
   const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
   return sorted[rank];
}
const round = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? null : Number(x.toFixed(digits)));

/** utime + stime of a process in clock ticks (all its threads), or null. */
function cpuTicks(pid) {
   if (!pid) return null;
   try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
      return Number(fields[11]) + Number(fields[12]); // fields 14 and 15
   } catch {
      return null;
   }
}
/** CPU time of all threads of a process in nanoseconds (schedstat of every task in /proc/<pid>/task), or null. */
function cpuNanos(pid) {
   if (!pid) return null;
   try {
      let sum = 0;
      for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
         sum += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'latin1').split(' ')[0]);
      }
      return sum;
   } catch {
      return null;
   }
}
/** [busy, total] ticks of the whole machine (/proc/stat), to see how much else was running. */
function machineTicks() {
   const [, ...values] = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/);
   const numbers = values.map(Number);
   const total = numbers.reduce((a, b) => a + b, 0);
   const idle = numbers[3] + (numbers[4] || 0);
   return [total - idle, total];
}
/** TcpExt ListenOverflows and ListenDrops (the whole machine): SYNs the accept queue turned away. */
function listenCounters() {
   try {
      const lines = fs.readFileSync('/proc/net/netstat', 'latin1').split('\n');
      for (let i = 0; i + 1 < lines.length; i++) {
         if (!lines[i].startsWith('TcpExt:') || !lines[i + 1].startsWith('TcpExt:')) continue;
         const names = lines[i].split(/\s+/);
         const values = lines[i + 1].split(/\s+/).map(Number);
         const at = (name) => values[names.indexOf(name)] ?? 0;
         return { overflows: at('ListenOverflows'), drops: at('ListenDrops') };
      }
   } catch {
      /* not Linux */
   }
   return { overflows: 0, drops: 0 };
}

function snapshot(pids) {
   return {
      at: now(),
      redis: cpuTicks(pids.redis),
      gateway: cpuTicks(pids.gateway),
      redisNs: cpuNanos(pids.redis),
      gatewayNs: cpuNanos(pids.gateway),
      client: process.cpuUsage(),
      machine: machineTicks(),
      listen: listenCounters(),
   };
}

/** Gateway /metrics as {"name{labels}": value}. */
function fetchMetrics(url) {
   return new Promise((resolve) => {
      const request = http.get(url, { timeout: 5000 }, (response) => {
         let text = '';
         response.setEncoding('utf8');
         response.on('data', (chunk) => (text += chunk));
         response.on('end', () => {
            const out = {};
            for (const line of text.split('\n')) {
               if (!line || line.startsWith('#')) continue;
               const space = line.lastIndexOf(' ');
               out[line.slice(0, space)] = Number(line.slice(space + 1));
            }
            resolve(out);
         });
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => resolve(null));
   });
}
const metricSum = (metrics, name) =>
   metrics === null
      ? null
      : Object.entries(metrics)
           .filter(([key]) => key === name || key.startsWith(`${name}{`))
           .reduce((sum, [, value]) => sum + value, 0);
function metricLabels(metrics, name) {
   const out = {};
   if (metrics === null) return out;
   for (const [key, value] of Object.entries(metrics)) {
      if (key.startsWith(`${name}{`) && value !== 0) out[key.slice(name.length)] = value;
   }
   return out;
}

// --- Raw RESP2 over one socket: pipelined commands, replies in order ------------------------------

class RespError extends Error {}

class Resp {
   constructor(port) {
      this.port = port;
      this.buffer = Buffer.alloc(0);
      this.batches = []; // pipelines still waiting for replies, oldest first
   }

   connect() {
      return new Promise((resolve, reject) => {
         this.socket = net.connect({ host: '127.0.0.1', port: this.port }, resolve);
         this.socket.setNoDelay(true);
         this.socket.once('error', reject);
         this.socket.on('data', (chunk) => this.onData(chunk));
         this.socket.on('close', () => {
            for (const batch of this.batches.splice(0)) batch.fail(new RespError('connection closed'));
         });
      });
   }

   onData(chunk) {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      let offset = 0;
      for (;;) {
         const parsed = parseReply(this.buffer, offset);
         if (parsed === null) break;
         offset = parsed[1];
         const batch = this.batches[0];
         if (!batch) continue; // nothing asked for it
         batch.replies[batch.got++] = parsed[0];
         if (batch.got === batch.replies.length) {
            this.batches.shift();
            batch.done(batch.replies);
         }
      }
      this.buffer = offset === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
   }

   /** Sends every command (arrays of strings) without waiting; resolves with all replies. */
   async pipeline(commands) {
      if (commands.length === 0) return [];
      const batch = { replies: new Array(commands.length), got: 0 };
      const all = new Promise((resolve, reject) => {
         batch.done = resolve;
         batch.fail = reject;
      });
      this.batches.push(batch);
      const chunk = 1000;
      for (let start = 0; start < commands.length; start += chunk) {
         let text = '';
         for (let i = start; i < Math.min(commands.length, start + chunk); i++) {
            const args = commands[i];
            text += `*${args.length}\r\n`;
            for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
         }
         if (!this.socket.write(text)) await new Promise((resolve) => this.socket.once('drain', resolve));
      }
      return all;
   }

   close() {
      this.socket?.end();
   }
}

/** One RESP2 reply at offset: [value, next offset], or null when it is not complete yet. */
function parseReply(buffer, offset) {
   if (offset >= buffer.length) return null;
   const end = buffer.indexOf('\r\n', offset);
   if (end < 0) return null;
   const type = String.fromCharCode(buffer[offset]);
   const line = buffer.toString('latin1', offset + 1, end);
   switch (type) {
      case '+':
         return [line, end + 2];
      case '-':
         return [new RespError(line), end + 2];
      case ':':
         return [Number(line), end + 2];
      case '$': {
         const length = Number(line);
         if (length < 0) return [null, end + 2];
         if (buffer.length < end + 2 + length + 2) return null;
         return [buffer.toString('utf8', end + 2, end + 2 + length), end + 2 + length + 2];
      }
      case '*': {
         const count = Number(line);
         if (count < 0) return [null, end + 2];
         const items = [];
         let at = end + 2;
         for (let i = 0; i < count; i++) {
            const item = parseReply(buffer, at);
            if (item === null) return null;
            items.push(item[0]);
            at = item[1];
         }
         return [items, at];
      }
      default:
         throw new Error(`RESP: unexpected reply type ${JSON.stringify(type)}`);
   }
}

// --- One measurement --------------------------------------------------------------------------

async function measure(argv) {
   const { values: o } = parseArgs({
      args: argv,
      options: {
         url: { type: 'string' },
         'redis-port': { type: 'string' },
         secret: { type: 'string' },
         variant: { type: 'string' },
         connections: { type: 'string', default: '10000' },
         missed: { type: 'string', default: '10' },
         sources: { type: 'string', default: '50' },
         'redis-pid': { type: 'string', default: '' },
         'gateway-pid': { type: 'string', default: '' },
         'clk-tck': { type: 'string', default: '100' },
         run: { type: 'string', default: '1' },
         'phase-timeout-s': { type: 'string', default: '120' },
         'grace-ms': { type: 'string', default: '1000' },
      },
   });
   for (const required of ['url', 'redis-port', 'secret', 'variant']) {
      if (!o[required]) throw new Error(`measure needs --${required}`);
   }
   const variant = o.variant;
   if (!['resume', 'resume-0', 'plain'].includes(variant)) throw new Error(`unknown variant ${variant}`);
   const N = Number(o.connections);
   const publishedWhileAway = variant === 'resume-0' ? 0 : Number(o.missed);
   const expected = variant === 'resume' ? publishedWhileAway : 0; // what each must get
   const resume = variant !== 'plain';
   const sources = Math.max(1, Math.min(254, Number(o.sources)));
   const clkTck = Number(o['clk-tck']);
   const phaseTimeoutMs = Number(o['phase-timeout-s']) * 1000;
   const graceMs = Number(o['grace-ms']);
   const pids = { redis: Number(o['redis-pid']) || 0, gateway: Number(o['gateway-pid']) || 0 };
   const url = new URL(o.url);
   const metricsUrl = `http://${url.host}/metrics`;
   const sourceOf = (i) => `127.0.0.${1 + (i % sources)}`;

   const result = {
      run: Number(o.run),
      variant,
      connections: N,
      missed: Number(o.missed),
      published_while_away: publishedWhileAway,
      expected_per_client: expected,
      sources,
      error: null,
   };
   const exp = Math.floor(Date.now() / 1000) + 3600;
   const tokens = Array.from({ length: N }, (_, i) => mintToken(o.secret, String(i), exp));
   const resp = new Resp(Number(o['redis-port']));
   await resp.connect();

   // -- 1. Everyone connects (at most 500 handshakes in flight: not what is measured) ---------
   log(`[${variant}] setup: connecting ${N} clients`);
   const keptId = new Array(N).fill(null);
   const setupSockets = new Array(N);
   {
      const started = now();
      let next = 0;
      let authed = 0;
      let failed = null;
      let gotFirst = 0;
      let onAllAuthed;
      let onAllFirst;
      const allAuthed = new Promise((resolve) => (onAllAuthed = resolve));
      const allFirst = new Promise((resolve) => (onAllFirst = resolve));
      const startOne = () => {
         const i = next++;
         const ws = new WebSocket(`${o.url}?token=${tokens[i]}&format=envelope`, {
            localAddress: sourceOf(i),
            perMessageDeflate: false,
            handshakeTimeout: phaseTimeoutMs,
         });
         setupSockets[i] = ws;
         let authedHere = false;
         ws.on('message', (data) => {
            const message = JSON.parse(data);
            if (message.type === 'auth_ok' && !authedHere) {
               authedHere = true;
               if (++authed === N) onAllAuthed();
               if (next < N) startOne();
            } else if (message.type === 'message' && message.stream === 'user' && message.data?.s === 0) {
               if (keptId[i] === null && ++gotFirst === N) onAllFirst();
               keptId[i] = message.id;
            }
         });
         ws.on('error', (error) => (failed ??= `client ${i}: ${error.message}`));
         ws.on('close', (code, reason) => {
            if (!ws.expectedClose) failed ??= `client ${i} closed during setup: ${code} ${reason}`;
         });
      };
      for (let k = 0; k < Math.min(500, N); k++) startOne();
      const deadline = now() + phaseTimeoutMs;
      while (authed < N && failed === null && now() < deadline) {
         await Promise.race([allAuthed, sleep(100)]);
      }
      if (authed < N) throw new Error(`setup: ${authed}/${N} authenticated; ${failed ?? 'timed out'}`);
      result.setup_connect_ms = round(now() - started);

      // One message per user; every client keeps its id.
      const publishStart = now();
      const replies = await resp.pipeline(
         Array.from({ length: N }, (_, i) => ['FCALL', 'notify_publish', '1', `user:${i}`, JSON.stringify({ u: i, s: 0 })]),
      );
      const bad = replies.findIndex((reply) => typeof reply !== 'string');
      if (bad >= 0) throw new Error(`setup: notify_publish for user ${bad} answered ${replies[bad]}`);
      while (gotFirst < N && failed === null && now() < publishStart + phaseTimeoutMs) {
         await Promise.race([allFirst, sleep(100)]);
      }
      if (gotFirst < N) throw new Error(`setup: ${gotFirst}/${N} got their first message; ${failed ?? 'timed out'}`);
      const mismatch = keptId.findIndex((id, i) => id !== replies[i]);
      if (mismatch >= 0) {
         throw new Error(`setup: client ${mismatch} got id ${keptId[mismatch]}, notify_publish returned ${replies[mismatch]}`);
      }
      result.setup_first_message_ms = round(now() - publishStart);
   }

   // -- 2. Everyone leaves; messages published meanwhile ----------------------------------------
   {
      let open = N;
      let onAllClosed;
      const allClosed = new Promise((resolve) => (onAllClosed = resolve));
      for (const ws of setupSockets) {
         ws.expectedClose = true;
         ws.on('close', () => --open === 0 && onAllClosed());
         ws.close(1000);
      }
      await Promise.race([allClosed, sleep(phaseTimeoutMs)]);
      if (open > 0) throw new Error(`${open} setup connections did not close`);
      setupSockets.length = 0;
      const deadline = now() + phaseTimeoutMs;
      let connections = null;
      while (now() < deadline) {
         connections = metricSum(await fetchMetrics(metricsUrl), 'notify_connections');
         if (connections === 0) break;
         await sleep(50);
      }
      if (connections !== 0) throw new Error(`the gateway still counts ${connections} connections`);
   }
   if (publishedWhileAway > 0) {
      const before = metricSum(await fetchMetrics(metricsUrl), 'notify_redis_messages_total');
      const started = now();
      const commands = [];
      for (let s = 1; s <= publishedWhileAway; s++) {
         for (let i = 0; i < N; i++) {
            commands.push(['FCALL', 'notify_publish', '1', `user:${i}`, JSON.stringify({ u: i, s })]);
         }
      }
      const replies = await resp.pipeline(commands);
      const bad = replies.findIndex((reply) => typeof reply !== 'string');
      if (bad >= 0) throw new Error(`notify_publish #${bad} while away answered ${replies[bad]}`);
      result.publish_while_away_ms = round(now() - started);
      // The storm should meet a gateway that has taken in what was published, not one still
      // working through its pub/sub backlog.
      const target = before + commands.length;
      const deadline = now() + phaseTimeoutMs;
      let seen = before;
      while (now() < deadline) {
         seen = metricSum(await fetchMetrics(metricsUrl), 'notify_redis_messages_total');
         if (seen >= target) break;
         await sleep(50);
      }
      if (seen < target) log(`[${variant}] warning: the gateway took in ${seen - before}/${commands.length} live messages`);
   }
   resp.close();
   await sleep(500); // let the machine settle after the publishing

   // -- 3. The storm ------------------------------------------------------------------------------
   log(`[${variant}] storm: ${N} clients reconnect at once${resume ? ' with resume_user' : ''}, expecting ${expected} each`);
   const metricsBefore = await fetchMetrics(metricsUrl);
   const attemptAt = new Float64Array(N);
   const liveAt = new Float64Array(N).fill(NaN);
   const authAt = new Float64Array(N).fill(NaN);
   const got = new Uint32Array(N);
   const lastSeq = new Int32Array(N);
   const lastId = keptId.slice();
   const failure = new Array(N).fill(null);
   const sockets = new Array(N);
   let live = 0;
   let failedBeforeLive = 0;
   let stormOver = false;
   let end = null;
   let onStormOver;
   const stormDone = new Promise((resolve) => (onStormOver = resolve));
   const finishIfDone = () => {
      if (!stormOver && live + failedBeforeLive === N) {
         stormOver = true;
         end = snapshot(pids);
         onStormOver();
      }
   };
   const fail = (i, kind, detail) => {
      if (failure[i] !== null) return;
      failure[i] = { client: i, kind, detail };
      if (Number.isNaN(liveAt[i])) {
         failedBeforeLive++;
         finishIfDone();
      }
   };
   const onMessage = (i, data) => {
      let message;
      try {
         message = JSON.parse(data);
      } catch {
         return fail(i, 'not_json', String(data).slice(0, 100));
      }
      const t = now();
      switch (message.type) {
         case 'auth_ok':
            if (!Number.isNaN(authAt[i])) return fail(i, 'second_auth_ok', '');
            if (message.userId !== String(i)) return fail(i, 'wrong_user', message.userId);
            authAt[i] = t;
            break;
         case 'message': {
            if (Number.isNaN(authAt[i])) return fail(i, 'before_auth_ok', JSON.stringify(message));
            if (message.stream !== 'user') return fail(i, `unexpected_${message.stream}_message`, JSON.stringify(message));
            const s = message.data?.s;
            if (message.data?.u !== i) return fail(i, 'other_users_message', JSON.stringify(message));
            got[i]++;
            if (got[i] > expected) {
               return fail(i, s <= lastSeq[i] ? 'duplicate' : 'unexpected_message', `s=${s} id=${message.id} after s=${lastSeq[i]}`);
            }
            if (s !== lastSeq[i] + 1) return fail(i, s <= lastSeq[i] ? 'duplicate' : 'out_of_order', `s=${s} after s=${lastSeq[i]}`);
            if (!idAfter(message.id, lastId[i])) return fail(i, 'id_not_increasing', `${message.id} after ${lastId[i]}`);
            lastSeq[i] = s;
            lastId[i] = message.id;
            break;
         }
         case 'gap':
            return fail(i, 'gap', JSON.stringify(message));
         case 'error':
            return fail(i, 'error_message', JSON.stringify(message));
         default:
            return fail(i, 'unexpected_type', JSON.stringify(message).slice(0, 200));
      }
      if (Number.isNaN(liveAt[i]) && failure[i] === null && !Number.isNaN(authAt[i]) && got[i] === expected) {
         liveAt[i] = t;
         live++;
         finishIfDone();
      }
   };

   const start = snapshot(pids);
   for (let i = 0; i < N; i++) {
      let target = `${o.url}?token=${tokens[i]}&format=envelope`;
      if (resume) target += `&resume_user=${encodeURIComponent(keptId[i])}`;
      attemptAt[i] = now();
      const ws = new WebSocket(target, { localAddress: sourceOf(i), perMessageDeflate: false, handshakeTimeout: phaseTimeoutMs });
      sockets[i] = ws;
      ws.on('message', (data) => onMessage(i, data));
      ws.on('error', (error) => fail(i, 'socket_error', error.message));
      ws.on('close', (code, reason) => {
         if (!ws.expectedClose) fail(i, 'closed', `${code} ${reason}`);
      });
   }
   const loopMs = now() - start.at;
   await Promise.race([stormDone, sleep(phaseTimeoutMs)]);
   if (!stormOver) {
      end = snapshot(pids);
      for (let i = 0; i < N; i++) {
         if (Number.isNaN(liveAt[i]) && failure[i] === null) {
            fail(i, 'timeout', `auth_ok ${Number.isNaN(authAt[i]) ? 'no' : 'yes'}, ${got[i]}/${expected} messages`);
         }
      }
      stormOver = true;
   }
   // -- 4. Late extras, then the verdict -----------------------------------------------------------
   await sleep(graceMs);
   const metricsAfter = await fetchMetrics(metricsUrl);
   for (let i = 0; i < N; i++) {
      if (failure[i] === null && got[i] !== expected) fail(i, 'count', `${got[i]}/${expected} messages`);
   }

   const windowMs = end.at - start.at;
   const fromAttempt = [];
   const fromStart = [];
   for (let i = 0; i < N; i++) {
      if (!Number.isNaN(liveAt[i])) {
         fromAttempt.push(liveAt[i] - attemptAt[i]);
         fromStart.push(liveAt[i] - start.at);
      }
   }
   fromAttempt.sort((a, b) => a - b);
   fromStart.sort((a, b) => a - b);
   const cpuSeconds = (key) => (start[key] === null || end[key] === null ? null : (end[key] - start[key]) / clkTck);
   const nsSeconds = (key) => (start[key] === null || end[key] === null ? null : (end[key] - start[key]) / 1e9);
   const failures = failure.filter((f) => f !== null);
   const kinds = {};
   for (const f of failures) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
   const delta = (name) => {
      const a = metricSum(metricsBefore, name);
      const b = metricSum(metricsAfter, name);
      return a === null || b === null ? null : b - a;
   };
   const [busyA, totalA] = start.machine;
   const [busyB, totalB] = end.machine;
   const clientCpuUs = end.client.user - start.client.user + end.client.system - start.client.system;
   Object.assign(result, {
      live: live,
      failures: failures.length,
      failure_kinds: kinds,
      failure_examples: failures.slice(0, 10),
      time_to_live_ms: round(windowMs),
      connect_loop_ms: round(loopMs),
      client_p50_ms: round(percentile(fromAttempt, 50)),
      client_p99_ms: round(percentile(fromAttempt, 99)),
      client_max_ms: round(percentile(fromAttempt, 100)),
      from_start_p50_ms: round(percentile(fromStart, 50)),
      from_start_p99_ms: round(percentile(fromStart, 99)),
      replayed_received: got.reduce((a, b) => a + b, 0),
      replayed_per_s: expected === 0 ? 0 : round((live * expected) / (windowMs / 1000), 0),
      redis_cpu_s: round(cpuSeconds('redis'), 2),
      redis_cpu_pct: round((100 * cpuSeconds('redis')) / (windowMs / 1000)),
      gateway_cpu_s: round(cpuSeconds('gateway'), 2),
      gateway_cpu_pct: round((100 * cpuSeconds('gateway')) / (windowMs / 1000)),
      // The same from the scheduler's nanosecond run times (schedstat): finer than clock ticks.
      redis_cpu_sched_s: round(nsSeconds('redisNs'), 3),
      gateway_cpu_sched_s: round(nsSeconds('gatewayNs'), 3),
      client_cpu_s: round(clientCpuUs / 1e6, 2),
      machine_busy_pct: round((100 * (busyB - busyA)) / Math.max(1, totalB - totalA)),
      listen_overflows: end.listen.overflows - start.listen.overflows,
      listen_drops: end.listen.drops - start.listen.drops,
      gateway_metrics: {
         replayed_messages: delta('notify_history_replayed_messages_total'),
         resumed_connections: delta('notify_history_resumed_connections_total'),
         read_failures: delta('notify_history_read_failures_total'),
         gaps: metricLabels(metricsAfter, 'notify_history_gaps_total'),
         refused: metricLabels(metricsAfter, 'notify_refused_connections_total'),
         timeouts: metricLabels(metricsAfter, 'notify_timeouts_total'),
         slow_consumer_closes: delta('notify_slow_consumer_closes_total'),
      },
   });
   log(
      `[${variant}] ${live}/${N} live again in ${result.time_to_live_ms} ms (client p50 ${result.client_p50_ms}, p99 ${result.client_p99_ms} ms);` +
         ` redis ${result.redis_cpu_s} s CPU, gateway ${result.gateway_cpu_s} s; ${failures.length} failed`,
   );
   for (const f of failures.slice(0, 10)) log(`[${variant}]   FAILED client ${f.client}: ${f.kind} ${f.detail}`);

   // Close everything (not measured).
   let open = 0;
   let onAllClosed;
   const allClosed = new Promise((resolve) => (onAllClosed = resolve));
   for (const ws of sockets) {
      ws.expectedClose = true;
      if (ws.readyState === WebSocket.CLOSED) continue;
      open++;
      ws.on('close', () => --open === 0 && onAllClosed());
      ws.close(1000);
   }
   if (open > 0) await Promise.race([allClosed, sleep(10000)]);
   for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
   return result;
}

// --- The table ----------------------------------------------------------------------------------

function median(values) {
   const v = values.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
   if (v.length === 0) return null;
   const mid = Math.floor(v.length / 2);
   return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function report(argv) {
   const { values: o } = parseArgs({ args: argv, options: { results: { type: 'string' } } });
   const lines = fs.readFileSync(o.results, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
   const meta = lines.find((line) => line.meta)?.meta ?? {};
   const rows = lines.filter((line) => !line.meta);
   const variants = ['resume', 'resume-0', 'plain'].filter((v) => rows.some((row) => row.variant === v));
   const columns = [
      ['time to live (ms)', 'time_to_live_ms', 0],
      ['client p50 (ms)', 'client_p50_ms', 0],
      ['client p99 (ms)', 'client_p99_ms', 0],
      ['replayed/s', 'replayed_per_s', 0],
      ['redis CPU (s)', 'redis_cpu_s', 2],
      ['redis CPU, sched (s)', 'redis_cpu_sched_s', 3],
      ['redis CPU %', 'redis_cpu_pct', 0],
      ['gateway CPU (s)', 'gateway_cpu_s', 2],
      ['gateway CPU, sched (s)', 'gateway_cpu_sched_s', 3],
      ['gateway CPU %', 'gateway_cpu_pct', 0],
      ['client CPU (s)', 'client_cpu_s', 2],
      ['machine busy %', 'machine_busy_pct', 0],
   ];
   const label = (v) =>
      v === 'resume' ? `resume, ${meta.missed ?? '?'} missed` : v === 'resume-0' ? 'resume, 0 missed' : 'plain reconnect';
   const medians = {};
   for (const v of variants) {
      const mine = rows.filter((row) => row.variant === v);
      medians[v] = Object.fromEntries(columns.map(([, key]) => [key, median(mine.map((row) => row[key]))]));
      medians[v].runs = mine.length;
      medians[v].failed = mine.reduce((sum, row) => sum + (row.error ? row.connections ?? 1 : row.failures ?? 0), 0);
   }
   const fmt = (x, digits) => (x === null ? '–' : x.toFixed(digits));
   const out = [];
   out.push(`resume storm: ${meta.connections ?? '?'} connections, ${meta.missed ?? '?'} missed, medians of ${meta.runs ?? '?'} run(s)` +
      ` (${meta.date ?? ''}, ${meta.nproc ?? '?'} cores, gateway ${meta.commit ?? '?'})`);
   out.push('');
   out.push(`| variant | runs | failed clients | ${columns.map(([name]) => name).join(' | ')} |`);
   out.push(`|---|---|---|${columns.map(() => '---').join('|')}|`);
   for (const v of variants) {
      const m = medians[v];
      out.push(`| ${label(v)} | ${m.runs} | ${m.failed} | ${columns.map(([, key, digits]) => fmt(m[key], digits)).join(' | ')} |`);
   }
   if (medians.plain) {
      out.push('');
      out.push('Ratios to the plain reconnect (medians):');
      out.push('');
      const ratioColumns = [
         ['time to live', 'time_to_live_ms'],
         ['client p50', 'client_p50_ms'],
         ['client p99', 'client_p99_ms'],
         ['redis CPU (sched)', 'redis_cpu_sched_s'],
         ['gateway CPU (sched)', 'gateway_cpu_sched_s'],
      ];
      out.push(`| variant | ${ratioColumns.map(([name]) => name).join(' | ')} |`);
      out.push(`|---|${ratioColumns.map(() => '---').join('|')}|`);
      for (const v of variants.filter((x) => x !== 'plain')) {
         const cells = ratioColumns.map(([, key]) => {
            const a = medians[v][key];
            const b = medians.plain[key];
            return a === null || !b ? '–' : `${(a / b).toFixed(2)}×`;
         });
         out.push(`| ${label(v)} | ${cells.join(' | ')} |`);
      }
   }
   out.push('');
   out.push('Per measurement (run, variant: time to live ms, redis CPU s, gateway CPU s, failed):');
   for (const row of rows) {
      out.push(
         `  run ${row.run} ${row.variant}: ` +
            (row.error
               ? `ERROR ${row.error}`
               : `${row.time_to_live_ms} ms, redis ${row.redis_cpu_s} s, gateway ${row.gateway_cpu_s} s, ` +
                 `${row.failures} failed${row.failures ? ` ${JSON.stringify(row.failure_kinds)}` : ''}` +
                 (row.listen_overflows ? `, listen overflows ${row.listen_overflows}` : '')),
      );
   }
   out.push('');
   out.push('CPU (s): utime+stime from /proc/<pid>/stat, clock ticks; sched: the scheduler\'s run time of all');
   out.push('threads (/proc/<pid>/task/<tid>/schedstat), ns. % = CPU (s) / time to live.');
   out.push('');
   out.push(`command: ${meta.command ?? '?'}`);
   process.stdout.write(`${out.join('\n')}\n`);
}

// --- Main -----------------------------------------------------------------------------------------

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'measure') {
   try {
      const require = createRequire(new URL('../clients/js/package.json', import.meta.url));
      WebSocket = require('ws');
   } catch (error) {
      log(`resume_storm.mjs: cannot load ws from clients/js/node_modules (npm ci --prefix clients/js): ${error.message}`);
      process.exit(2);
   }
   const { values: id } = parseArgs({ args: rest, strict: false });
   measure(rest).then(
      (result) => {
         process.stdout.write(`${JSON.stringify(result)}\n`);
         process.exit(0);
      },
      (error) => {
         log(`resume_storm.mjs: ${error.message}`);
         const run = Number(id.run ?? 1);
         process.stdout.write(`${JSON.stringify({ run, variant: id.variant, connections: Number(id.connections), error: error.message })}\n`);
         process.exit(1);
      },
   );
} else if (mode === 'report') {
   report(rest);
} else {
   process.stderr.write('usage: node bench/resume_storm.mjs measure --url ... | report --results FILE (see the top of this file)\n');
   process.exit(2);
}
