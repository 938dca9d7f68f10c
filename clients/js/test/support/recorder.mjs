// Records what a NotifyClient reports, and waits for it with hard timeouts.
import { waitFor } from './processes.mjs';

export class Recorder {
   states = [];
   notifications = [];
   errors = [];

   constructor(client) {
      this.client = client;
      client.on('state', (detail) => this.states.push(detail));
      client.on('notification', (message) => this.notifications.push(message));
      client.on('error', (detail) => this.errors.push(detail));
   }

   /** State names in the order they were entered. */
   get stateNames() {
      return this.states.map((detail) => detail.state);
   }

   /** Waits until the `count`-th entry into `state` (counting from the start). */
   waitForState(state, ms = 5000, count = 1) {
      return waitFor(
         () => this.stateNames.filter((s) => s === state).length >= count,
         ms,
         `state ${state} x${count} (saw ${this.stateNames.join(' -> ')})`,
      );
   }

   waitForNotifications(count, ms = 5000) {
      return waitFor(
         () => this.notifications.length >= count,
         ms,
         `${count} notifications (got ${JSON.stringify(this.notifications)})`,
      );
   }
}

/**
 * A fake WebSocket class for tests without a gateway. `script(socket, index)` runs (in a
 * microtask) for every socket made; by default a socket opens, answers auth with auth_ok and
 * answers pings. Tests drive sockets with open(), receive(), serverClose(), fail().
 */
export function fakeWebSocket(script = (socket) => socket.open()) {
   class FakeWebSocket {
      static instances = [];
      static answerPings = true;
      static userId = '42';
      readyState = 0;
      sent = [];
      closedByClient = null;
      terminated = false;

      constructor(url) {
         this.url = url;
         FakeWebSocket.instances.push(this);
         const index = FakeWebSocket.instances.length - 1;
         queueMicrotask(() => script(this, index));
      }

      get messages() {
         return this.sent.map((text) => JSON.parse(text));
      }

      send(text) {
         if (this.readyState !== 1) throw new Error('send on a socket that is not open');
         this.sent.push(text);
         const message = JSON.parse(text);
         if (message.type === 'auth' && message.token !== 'bad') {
            setTimeout(() =>
               this.receive(JSON.stringify({ type: 'auth_ok', userId: FakeWebSocket.userId })),
            );
         } else if (message.type === 'auth') {
            setTimeout(() => this.serverClose(4001, 'authentication failed: bad_signature'));
         } else if (message.type === 'ping' && FakeWebSocket.answerPings) {
            setTimeout(() => this.receive('{"type":"pong"}'));
         }
      }

      close(code = 1000, reason = '') {
         if (this.readyState >= 2) return;
         this.closedByClient = code;
         this.readyState = 2;
         setTimeout(() => this.serverClose(code, reason));
      }

      terminate() {
         this.terminated = true;
         this.serverClose(1006, '');
      }

      open() {
         if (this.readyState !== 0) return;
         this.readyState = 1;
         this.onopen?.({});
      }

      receive(data) {
         if (this.readyState === 1) this.onmessage?.({ data });
      }

      serverClose(code, reason = '') {
         if (this.readyState === 3) return;
         this.readyState = 3;
         this.onclose?.({ code, reason });
      }

      /** A refused handshake as ws reports it: an error naming the status, then 1006. */
      fail(message) {
         this.onerror?.({ message });
         this.serverClose(1006, '');
      }
   }
   return FakeWebSocket;
}
