/**
 * @file Client for notify-gateway (docs/protocol.md): one WebSocket, authenticated with a token,
 * delivering notifications and reconnecting with backoff. A dependency-free ES module for browsers
 * and Node (pass `WebSocket` from the `ws` package there). Served by the gateway at
 * `GET /notify-client.js`.
 */

/**
 * @typedef {object} ReconnectOptions
 * @property {number} [initialDelayMs=500] ceiling of the first retry delay
 * @property {number} [maxDelayMs=30000] cap of every delay; also the "long" delay used after
 *   4003 (too many connections) and HTTP 429/503
 * @property {number} [factor=2] growth of the ceiling per consecutive failure
 * @property {boolean} [jitter=true] full jitter: wait a random time between 0 and the ceiling
 * @property {number} [resetAfterMs=10000] a connection that stayed open this long resets the
 *   backoff; shorter-lived ones keep growing it, so a flapping server is not hammered
 * @property {number} [lockoutDelayMs=900000] wait after 4005 (address locked out); the gateway's
 *   default `auth.lockout_s` is 900 s
 */

/**
 * @typedef {object} NotifyClientOptions
 * @property {string} [url] WebSocket URL, e.g. `wss://host/ws`; relative and http(s) URLs are
 *   resolved against the page. Default in browsers: `/ws` of the page's host.
 * @property {string} [token] token for the first attempt (and every attempt without getToken)
 * @property {() => Promise<string|null>|string|null} [getToken] called before every attempt that
 *   has no token yet (all after the first when `token` is given); null or '' means "signed out"
 * @property {'message'|'query'} [tokenIn='message'] send the token as `{"type":"auth"}` (stays out
 *   of URLs and proxy logs) or as `?token=`
 * @property {(notification: any) => void} [onNotification] parsed JSON, or the raw data if the
 *   message is not JSON
 * @property {(detail: object) => void} [onStateChange] same as the 'state' event's detail
 * @property {(detail: object) => void} [onError] same as the 'error' event's detail
 * @property {ReconnectOptions} [reconnect]
 * @property {number} [connectTimeoutMs=15000] from the start of an attempt (getToken included)
 *   to auth_ok
 * @property {number} [pingIntervalMs=30000] send `{"type":"ping"}` after this long without any
 *   message from the gateway; 0 turns pings off
 * @property {number} [pongTimeoutMs=10000] reconnect when nothing answers a ping within this
 * @property {typeof WebSocket} [WebSocket=globalThis.WebSocket] WebSocket class (Node: `ws`)
 * @property {boolean} [resume=true] ask for positions (`format=envelope`) and give the last ones
 *   on every reconnect, so nothing published with `notify_publish` meanwhile is missed
 *   (docs/protocol.md#message-history-and-resuming). false: the published bytes, at most once.
 * @property {Pick<Storage, 'getItem'|'setItem'>} [positionStorage] where the last positions
 *   survive a page reload, e.g. `sessionStorage`; default: memory only
 * @property {string} [positionKey='notify-gateway-positions'] the key in positionStorage
 * @property {(gap: {stream: string, after: string, until: string, reason: string}) => void}
 *   [onGap] messages after `after` up to `until` may be missing: reload state from your API
 */

/** @type {Required<ReconnectOptions>} */
export const DEFAULT_RECONNECT = Object.freeze({
   initialDelayMs: 500,
   maxDelayMs: 30000,
   factor: 2,
   jitter: true,
   resetAfterMs: 10000,
   lockoutDelayMs: 900000,
});

/** Close codes that mean "this client sent something broken" (docs/protocol.md). */
const CLIENT_BUG_CODES = new Set([1002, 1003, 1007, 1008, 1009]);

const now = () => globalThis.performance?.now?.() ?? Date.now();

/**
 * Delay before retry number `failures` (0-based): min(cap, initial * factor^failures), with full
 * jitter a uniform random value between 0 and that.
 * @param {number} failures consecutive failed attempts so far
 * @param {ReconnectOptions} [reconnect]
 * @param {() => number} [random] source of [0, 1) values
 * @returns {number} milliseconds
 */
export function backoffDelay(failures, reconnect = DEFAULT_RECONNECT, random = Math.random) {
   const { initialDelayMs, maxDelayMs, factor, jitter } = { ...DEFAULT_RECONNECT, ...reconnect };
   // The exponent is capped so that 0 * factor^n cannot become 0 * Infinity = NaN.
   const ceiling = Math.min(maxDelayMs, initialDelayMs * factor ** Math.min(failures, 64));
   return jitter ? Math.round(random() * ceiling) : ceiling;
}

/** "Long" waits get equal jitter (half fixed, half random): long enough, but not in lockstep. */
function longDelay(delayMs, jitter, random = Math.random) {
   return jitter ? Math.round(delayMs / 2 + (random() * delayMs) / 2) : delayMs;
}

/** Event whose `detail` carries the payload (CustomEvent is not global in Node 18). */
class NotifyEvent extends Event {
   constructor(type, detail) {
      super(type);
      this.detail = detail;
   }
}

/** The HTTP status of a refused handshake, when the WebSocket library reports it (ws does). */
function handshakeStatusOf(errorEvent) {
   const text = String(errorEvent?.message ?? errorEvent?.error?.message ?? '');
   const match = /Unexpected server response: (\d{3})/.exec(text);
   return match ? Number(match[1]) : 0;
}

function resolveUrl(url) {
   const base = globalThis.location?.href;
   const resolved = new URL(url ?? (base ? '/ws' : undefined), base);
   if (resolved.protocol === 'http:') resolved.protocol = 'ws:';
   if (resolved.protocol === 'https:') resolved.protocol = 'wss:';
   if (resolved.protocol !== 'ws:' && resolved.protocol !== 'wss:') {
      throw new TypeError(`NotifyClient: url must be ws:, wss:, http: or https: (got ${url})`);
   }
   return resolved;
}

/**
 * A connection to notify-gateway that stays up until close().
 *
 * States ('state' event, `client.state`): `closed` (initially, after close() and after a failure
 * retrying cannot fix), `connecting` (first attempt), `open` (auth_ok received), `reconnecting`
 * (waiting for or making another attempt; emitted again for every retry).
 * Other events: 'notification' (detail: the message) and 'error' (detail: {code, message, ...}).
 */
export class NotifyClient extends EventTarget {
   #url;
   #options;
   #reconnect;
   #getToken;
   #WebSocket;
   #state = 'closed';
   #userId = null;
   #nextToken;
   #lastToken = null;
   #refusedToken = null;
   #socket = null;
   #attemptId = 0; // bumped to make callbacks of an abandoned attempt harmless
   #failures = 0;
   #openedAt = 0;
   #lastReceivedAt = 0;
   #awaitingPong = false;
   #handshakeStatus = 0;
   #timers = { connect: null, reconnect: null, ping: null };
   #pending = null;
   #resume;
   #positionStorage;
   #positionKey;
   /** Last stream ids received, with the user they belong to. */
   #positions = { userId: null, user: null, global: null };

   /** @param {NotifyClientOptions} options */
   constructor(options = {}) {
      super();
      const { url, token, getToken, onNotification, onStateChange, onError } = options;
      this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
      if (typeof this.#WebSocket !== 'function') {
         throw new TypeError('NotifyClient: no WebSocket here; pass options.WebSocket (Node: ws)');
      }
      if (token == null && typeof getToken !== 'function') {
         throw new TypeError('NotifyClient: give a token or a getToken function');
      }
      if (token != null && (typeof token !== 'string' || token === '')) {
         throw new TypeError('NotifyClient: token must be a non-empty string');
      }
      if (getToken != null && typeof getToken !== 'function') {
         throw new TypeError('NotifyClient: getToken must be a function');
      }
      const tokenIn = options.tokenIn ?? 'message';
      if (tokenIn !== 'message' && tokenIn !== 'query') {
         throw new TypeError(`NotifyClient: tokenIn must be 'message' or 'query' (got ${tokenIn})`);
      }
      this.#url = resolveUrl(url);
      this.#nextToken = token ?? null;
      this.#getToken = getToken ?? null;
      this.#reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
      this.#options = {
         tokenIn,
         connectTimeoutMs: options.connectTimeoutMs ?? 15000,
         pingIntervalMs: options.pingIntervalMs ?? 30000,
         pongTimeoutMs: options.pongTimeoutMs ?? 10000,
      };
      this.#resume = options.resume ?? true;
      this.#positionStorage = options.positionStorage ?? null;
      this.#positionKey = options.positionKey ?? 'notify-gateway-positions';
      this.#loadPositions();
      if (onNotification) this.on('notification', onNotification);
      if (options.onGap) this.on('gap', options.onGap);
      if (onStateChange) this.on('state', onStateChange);
      if (onError) this.on('error', onError);
   }

   /** @returns {{userId: string|null, user: string|null, global: string|null}} last positions */
   get positions() {
      return { ...this.#positions };
   }

   #loadPositions() {
      try {
         const saved = JSON.parse(this.#positionStorage?.getItem(this.#positionKey) ?? 'null');
         if (saved && typeof saved === 'object') {
            for (const field of ['userId', 'user', 'global']) {
               if (typeof saved[field] === 'string') this.#positions[field] = saved[field];
            }
         }
      } catch {
         // unreadable storage: start without positions
      }
   }

   #savePositions() {
      try {
         this.#positionStorage?.setItem(this.#positionKey, JSON.stringify(this.#positions));
      } catch {
         // full or forbidden storage: positions stay in memory
      }
   }

   /** The resume positions to send: the user's only while it is the same user. */
   #resumeFields() {
      const resume = {};
      // Before the first auth_ok of this page the user is not known yet: the saved one is tried.
      if (this.#positions.user && (this.#userId === null || this.#positions.userId === this.#userId)) {
         resume.user = this.#positions.user;
      }
      if (this.#positions.global) resume.global = this.#positions.global;
      return resume;
   }

   /** @returns {'closed'|'connecting'|'open'|'reconnecting'} */
   get state() {
      return this.#state;
   }

   /** @returns {string|null} the user id from the last auth_ok */
   get userId() {
      return this.#userId;
   }

   /**
    * Listens to 'state', 'notification' or 'error' with a function of the event's detail.
    * @returns {() => void} removes the listener
    */
   on(type, listener) {
      const wrapped = (event) => listener(event.detail);
      this.addEventListener(type, wrapped);
      return () => this.removeEventListener(type, wrapped);
   }

   /**
    * Starts connecting (also after close()). Resolves with `{userId}` at the next auth_ok, however
    * many retries that takes; rejects (error.code says why) when the client goes to `closed`
    * instead: refused token without getToken, HTTP 403, getToken signed out, close().
    * @returns {Promise<{userId: string}>}
    */
   connect() {
      if (this.#state === 'open') return Promise.resolve({ userId: this.#userId });
      if (!this.#pending) {
         let resolve, reject;
         const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
         this.#pending = { promise, resolve, reject };
      }
      if (this.#state === 'closed') {
         this.#failures = 0;
         globalThis.addEventListener?.('online', this.#onOnline);
         this.#setState('connecting');
         this.#attempt();
      }
      return this.#pending.promise;
   }

   /** Closes the connection (code 1000) and stops reconnecting until connect() is called again. */
   close() {
      if (this.#state === 'closed') return;
      this.#stop();
      this.#setState('closed', { code: 1000, reason: 'closed by client' });
      this.#settle(Object.assign(new Error('closed by client'), { code: 'closed' }));
   }

   async #attempt() {
      const id = ++this.#attemptId;
      this.#handshakeStatus = 0;
      this.#timers.connect = setTimeout(
         () =>
            this.#abandon(
               'connect_timeout',
               `no auth_ok within ${this.#options.connectTimeoutMs} ms`,
            ),
         this.#options.connectTimeoutMs,
      );
      let token = this.#nextToken;
      if (this.#getToken) {
         this.#nextToken = null; // later attempts ask getToken, so short-lived tokens stay fresh
         if (token == null) {
            try {
               token = await this.#getToken();
            } catch (error) {
               if (id !== this.#attemptId) return;
               clearTimeout(this.#timers.connect);
               this.#error('token_unavailable', `getToken failed: ${error?.message ?? error}`);
               return this.#retry(this.#backoff());
            }
            if (id !== this.#attemptId) return; // closed or timed out meanwhile
         }
      }
      if (typeof token !== 'string' || token === '') {
         return this.#fail('no_token', 'getToken gave no token (null, empty or not a string)');
      }
      if (token === this.#refusedToken) {
         return this.#fail('token_refused', 'getToken returned the token the gateway just refused');
      }
      let socket;
      try {
         const url = new URL(this.#url);
         if (this.#options.tokenIn === 'query') {
            url.searchParams.set('token', token);
            if (this.#resume) {
               url.searchParams.set('format', 'envelope');
               const resume = this.#resumeFields();
               if (resume.user) url.searchParams.set('resume_user', resume.user);
               if (resume.global) url.searchParams.set('resume_global', resume.global);
            }
         }
         socket = new this.#WebSocket(url.href);
      } catch (error) {
         return this.#fail('bad_url', `cannot open a WebSocket: ${error?.message ?? error}`);
      }
      this.#socket = socket;
      this.#lastToken = token;
      // The handlers stay attached for the socket's life: ws throws on an 'error' nobody handles.
      socket.onopen = () => {
         if (socket === this.#socket && this.#options.tokenIn === 'message') {
            const auth = { type: 'auth', token };
            if (this.#resume) {
               auth.format = 'envelope';
               const resume = this.#resumeFields();
               if (resume.user || resume.global) auth.resume = resume;
            }
            this.#send(auth);
         }
      };
      socket.onmessage = (event) => socket === this.#socket && this.#receive(event.data);
      socket.onerror = (event) => {
         if (socket === this.#socket) this.#handshakeStatus ||= handshakeStatusOf(event);
      };
      socket.onclose = (event) => {
         if (socket !== this.#socket) return;
         this.#dropSocket();
         this.#lost({ code: event.code, reason: event.reason });
      };
   }

   #receive(data) {
      this.#lastReceivedAt = now();
      if (this.#awaitingPong) {
         this.#awaitingPong = false; // any message proves the path works
         this.#schedulePing(this.#options.pingIntervalMs);
      }
      if (typeof data !== 'string') return this.#emit('notification', data);
      let message;
      try {
         message = JSON.parse(data);
      } catch {
         return this.#emit('notification', data); // the gateway sends JSON only; be lenient
      }
      const type = message !== null && typeof message === 'object' ? message.type : undefined;
      if (type === 'auth_ok') return this.#authenticated(String(message.userId));
      if (type === 'pong') return;
      if (this.#resume && type === 'message' && (message.stream === 'user' || message.stream === 'global')) {
         if (typeof message.id === 'string') this.#advance(message.stream, message.id);
         return this.#emit('notification', message.data);
      }
      if (this.#resume && type === 'gap') {
         // What follows continues after `until` (0-0: the stream started over, and resuming
         // from 0-0 gets all of the new one). "unavailable" says nothing of where the stream is:
         // the position stays, so a later connection can still resume from it.
         if ((message.stream === 'user' || message.stream === 'global') &&
             message.reason !== 'unavailable' && typeof message.until === 'string') {
            this.#advance(message.stream, message.until);
         }
         return this.#emit('gap', {
            stream: message.stream,
            after: message.after,
            until: message.until,
            reason: message.reason,
         });
      }
      if (type === 'error' && message.code === 'invalid_resume') {
         this.#positions.user = null;
         this.#positions.global = null;
         this.#savePositions();
      }
      if (type === 'error') {
         return this.#error('server_error', String(message.message ?? message.code), {
            serverCode: message.code,
         });
      }
      this.#emit('notification', message);
   }

   #advance(stream, id) {
      this.#positions[stream] = id;
      if (stream === 'user') this.#positions.userId = this.#userId;
      this.#savePositions();
   }

   #authenticated(userId) {
      if (this.#state === 'open') return;
      if (this.#positions.userId !== null && this.#positions.userId !== userId) {
         this.#positions.user = null; // another user's position means nothing here
         this.#positions.userId = userId;
         this.#savePositions();
      }
      clearTimeout(this.#timers.connect);
      this.#userId = userId;
      this.#openedAt = now();
      this.#refusedToken = null;
      this.#setState('open', { userId });
      this.#pending?.resolve({ userId });
      this.#pending = null;
      this.#schedulePing(this.#options.pingIntervalMs);
   }

   /** Decides what to do after losing the socket, by close code (docs/protocol.md#close-codes). */
   #lost(info) {
      if (this.#state === 'open' && now() - this.#openedAt >= this.#reconnect.resetAfterMs) {
         this.#failures = 0;
      }
      const { code, reason } = info;
      const status = this.#handshakeStatus;
      const { maxDelayMs, lockoutDelayMs, jitter } = this.#reconnect;
      if (code === 4001) {
         this.#refusedToken = this.#lastToken; // never presented again
         if (!this.#getToken) {
            return this.#fail('token_refused', `the gateway refused the token: ${reason}`, info);
         }
         this.#error(
            'token_refused',
            `the gateway refused the token: ${reason}; asking getToken`,
            info,
         );
         return this.#retry(this.#backoff(), info);
      }
      if (code === 4005) {
         this.#error('locked_out', `this address is locked out: ${reason}`, info);
         return this.#retry(longDelay(lockoutDelayMs, jitter), info);
      }
      if (code === 4003) {
         this.#error('too_many_connections', `too many connections for this user: ${reason}`, info);
         return this.#retry(longDelay(maxDelayMs, jitter), info);
      }
      if (status === 403) {
         return this.#fail(
            'forbidden',
            'the gateway refused the handshake: HTTP 403 (Origin not allowed?)',
            { ...info, status },
         );
      }
      if (status === 429 || status === 503) {
         this.#error('handshake_refused', `the gateway refused the handshake: HTTP ${status}`, {
            ...info,
            status,
         });
         return this.#retry(longDelay(maxDelayMs, jitter), { ...info, status });
      }
      if (CLIENT_BUG_CODES.has(code)) {
         this.#error('protocol_error', `the gateway closed with ${code}: ${reason}`, info);
      }
      this.#retry(this.#backoff(), info);
   }

   /** Gives up on the current attempt or connection without waiting for a close handshake. */
   #abandon(code, message) {
      const socket = this.#socket;
      this.#attemptId++;
      this.#dropSocket();
      if (socket) {
         try {
            if (typeof socket.terminate === 'function') socket.terminate();
            else socket.close(1000);
         } catch {
            // already closing; nothing left to release
         }
      }
      this.#error(code, message);
      this.#lost({ code: null, reason: message });
   }

   #backoff() {
      return backoffDelay(this.#failures, this.#reconnect);
   }

   #retry(delayMs, info = {}) {
      this.#failures += 1;
      this.#setState('reconnecting', { ...info, delayMs, attempt: this.#failures });
      this.#timers.reconnect = setTimeout(() => {
         this.#timers.reconnect = null;
         this.#attempt();
      }, delayMs);
   }

   /** Checks the connection after pingIntervalMs of silence; a missing answer means it is dead. */
   #schedulePing(delayMs) {
      clearTimeout(this.#timers.ping);
      if (this.#options.pingIntervalMs > 0) {
         this.#timers.ping = setTimeout(() => this.#checkAlive(), delayMs);
      }
   }

   #checkAlive() {
      if (this.#state !== 'open') return;
      const { pingIntervalMs, pongTimeoutMs } = this.#options;
      if (this.#awaitingPong) {
         return this.#abandon('pong_timeout', `no answer to a ping within ${pongTimeoutMs} ms`);
      }
      const silentMs = now() - this.#lastReceivedAt;
      if (silentMs < pingIntervalMs) return this.#schedulePing(pingIntervalMs - silentMs);
      this.#ping();
   }

   #ping() {
      this.#awaitingPong = true;
      this.#send({ type: 'ping' });
      this.#schedulePing(this.#options.pongTimeoutMs);
   }

   /** The browser is back online: retry now instead of after the backoff, or check the socket. */
   #onOnline = () => {
      if (this.#timers.reconnect) {
         clearTimeout(this.#timers.reconnect);
         this.#timers.reconnect = null;
         this.#attempt();
      } else if (
         this.#state === 'open' &&
         !this.#awaitingPong &&
         this.#options.pingIntervalMs > 0
      ) {
         this.#ping();
      }
   };

   #send(message) {
      try {
         if (this.#socket?.readyState === 1) this.#socket.send(JSON.stringify(message));
      } catch {
         // the socket is closing; its close event drives what happens next
      }
   }

   #dropSocket() {
      this.#socket = null;
      this.#awaitingPong = false;
      clearTimeout(this.#timers.connect);
      clearTimeout(this.#timers.ping);
   }

   #stop() {
      this.#attemptId++;
      const socket = this.#socket;
      this.#dropSocket();
      clearTimeout(this.#timers.reconnect);
      this.#timers.reconnect = null;
      globalThis.removeEventListener?.('online', this.#onOnline);
      try {
         socket?.close(1000);
      } catch {
         // already closed
      }
   }

   #fail(code, message, info = {}) {
      this.#stop();
      this.#error(code, message, { ...info, fatal: true });
      this.#setState('closed', { ...info, error: code });
      this.#settle(Object.assign(new Error(message), { code, closeCode: info.code }));
   }

   #settle(error) {
      this.#pending?.reject(error);
      this.#pending = null;
   }

   #setState(state, extra = {}) {
      const previous = this.#state;
      this.#state = state;
      this.#emit('state', { state, previous, ...extra });
   }

   /** `extra.code` is a close code; in the detail it becomes `closeCode`. */
   #error(code, message, extra = {}) {
      const { code: closeCode, ...rest } = extra;
      const detail = { fatal: false, ...rest, code, message };
      if (closeCode != null) detail.closeCode = closeCode;
      this.#emit('error', detail);
   }

   #emit(type, detail) {
      this.dispatchEvent(new NotifyEvent(type, detail));
   }
}
