// Starts and stops the redis-server and notify-gateway processes the integration tests run
// against. Every process is stopped by its PID; an exit hook kills leftovers so that a failed or
// timed-out test never leaves one behind.
import { spawn, execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

// scripts/test's build (ctest sets the variable to the binary of the build it runs in).
export const GATEWAY_BINARY =
   process.env.NOTIFY_GATEWAY_BINARY ??
   fileURLToPath(new URL('../../../../build-test/notify-gateway', import.meta.url));
export const REDIS_BINARY = process.env.REDIS_SERVER_BINARY ?? '/usr/bin/redis-server';
export const JWT_SECRET = 'client-tests-secret-0123456789abcdef0123456789';

const live = new Set();
const killAll = () => {
   for (const child of live) child.kill('SIGKILL');
};
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
   process.once(signal, () => {
      killAll();
      process.exit(1);
   });
}

/** Rejects after `ms` with a message naming what was awaited. */
export function withTimeout(promise, ms, what) {
   let timer;
   const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
   });
   return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `predicate` every 10 ms until it is truthy. */
export async function waitFor(predicate, ms, what) {
   const deadline = Date.now() + ms;
   while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
      await sleep(10);
   }
}

/** A TCP port that was free a moment ago. */
export function freePort() {
   return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
         const { port } = server.address();
         server.close(() => resolve(port));
      });
   });
}

/** A child process with its output kept (the last 16 KiB) for failure messages. */
function start(command, args, env) {
   const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
   });
   let output = '';
   const keep = (chunk) => (output = (output + chunk).slice(-16384));
   child.stdout.on('data', keep);
   child.stderr.on('data', keep);
   // 'exit' does not come when spawning failed (ENOENT): 'error' ends the process too.
   const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => {
         keep(`cannot run ${command}: ${error.message}\n`);
         resolve({ code: null, signal: null, error });
      });
   });
   const proc = { child, exited, done: false, output: () => output };
   exited.then(() => {
      proc.done = true;
      live.delete(child);
   });
   live.add(child);
   return proc;
}

/** Sends SIGTERM (or `signal`) to the PID, SIGKILL after `graceMs`, and waits for the exit. */
async function stopProcess(proc, signal = 'SIGTERM', graceMs = 5000) {
   if (proc.done || proc.child.pid === undefined) return proc.exited;
   try {
      process.kill(proc.child.pid, signal);
   } catch {
      return proc.exited; // already gone
   }
   const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
   try {
      return await withTimeout(proc.exited, graceMs + 5000, `exit of PID ${proc.child.pid}`);
   } finally {
      clearTimeout(timer);
   }
}

/** Sends one command to Redis and resolves with the first reply line (e.g. ":1", "+PONG"). */
export function redisCommand(port, ...args) {
   return withTimeout(
      new Promise((resolve, reject) => {
         const socket = net.connect(port, '127.0.0.1');
         let reply = '';
         socket.setEncoding('utf8');
         socket.on('connect', () => {
            let frame = `*${args.length}\r\n`;
            for (const arg of args) frame += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
            socket.write(frame);
         });
         socket.on('data', (chunk) => {
            reply += chunk;
            const end = reply.indexOf('\r\n');
            if (end >= 0) {
               socket.destroy();
               if (reply.startsWith('-')) reject(new Error(`redis: ${reply.slice(1, end)}`));
               else resolve(reply.slice(0, end));
            }
         });
         socket.on('error', (error) => {
            socket.destroy();
            reject(error);
         });
      }),
      5000,
      `redis ${args[0]}`,
   );
}

/** PUBLISH; resolves with the number of subscribers Redis reported. */
export async function publish(port, channel, message) {
   const reply = await redisCommand(port, 'PUBLISH', channel, message);
   return Number(reply.slice(1));
}

export async function startRedis() {
   const port = await freePort();
   const flags = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
   const proc = start(REDIS_BINARY, ['--port', String(port), ...flags]);
   try {
      await waitFor(
         async () => {
            if (proc.done) throw new Error(`redis-server exited: ${proc.output()}`);
            return (await redisCommand(port, 'PING').catch(() => '')) === '+PONG';
         },
         10000,
         'redis-server answering PING',
      );
   } catch (error) {
      await stopProcess(proc, 'SIGKILL');
      throw error;
   }
   return { port, pid: proc.child.pid, stop: () => stopProcess(proc) };
}

function httpStatus(port, path) {
   return new Promise((resolve) => {
      const request = http.get({ host: '127.0.0.1', port, path, timeout: 1000 }, (response) => {
         response.resume();
         resolve(response.statusCode);
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(0));
   });
}

/**
 * Starts the gateway against Redis on `redisPort` and waits until GET /readyz answers 200.
 * `settings` become --set flags. The result's restart() starts it again on the same port.
 */
export async function startGateway({ redisPort, port, settings = {} }) {
   port ??= await freePort();
   const args = ['--host', '127.0.0.1', '--port', String(port)];
   args.push('--threads', '1', '--log-level', 'warn');
   for (const [key, value] of Object.entries(settings)) args.push('--set', `${key}=${value}`);
   const env = {
      NOTIFY_JWT_SECRET: JWT_SECRET,
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redisPort),
   };
   const proc = start(GATEWAY_BINARY, args, env);
   try {
      await waitFor(
         async () => {
            if (proc.done) {
               throw new Error(`notify-gateway stopped: ${proc.output()}`);
            }
            return (await httpStatus(port, '/readyz')) === 200;
         },
         15000,
         'notify-gateway /readyz == 200',
      );
   } catch (error) {
      await stopProcess(proc, 'SIGKILL');
      throw error;
   }
   return {
      port,
      pid: proc.child.pid,
      url: `ws://127.0.0.1:${port}/ws`,
      output: proc.output,
      stop: (signal = 'SIGTERM') => stopProcess(proc, signal),
      restart: () => startGateway({ redisPort, port, settings }),
   };
}

/** A JWT for `user` from `notify-gateway token`, signed with the tests' secret (or `secret`). */
export function makeToken(user, secret = JWT_SECRET) {
   return new Promise((resolve, reject) => {
      execFile(
         GATEWAY_BINARY,
         ['token', '--user', String(user)],
         { env: { ...process.env, NOTIFY_JWT_SECRET: secret }, timeout: 5000 },
         (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message} ${stderr}`)) : resolve(stdout.trim()),
      );
   });
}
