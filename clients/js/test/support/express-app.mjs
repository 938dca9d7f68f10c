// A minimal web app logging users in the way the seed app does (express-session with
// connect-redis): POST /login?user=ID puts userId into the session, POST /logout destroys it.
// The gateway is meant to accept the session cookie this app sets.
import express from 'express';
import session from 'express-session';
import RedisStore from 'connect-redis';
import { createClient } from 'redis';

/**
 * Starts the app on 127.0.0.1 (a free port) with its sessions in Redis on `redisPort`.
 * `secrets`: express-session's secret list (the first signs, all verify).
 */
export async function startExpressApp({ redisPort, secrets }) {
   const redis = createClient({ url: `redis://127.0.0.1:${redisPort}` });
   redis.on('error', () => {}); // reconnects by itself; a test fails on what it sees instead
   await redis.connect();

   const app = express();
   app.use(
      session({
         store: new RedisStore({ client: redis }), // keys sess:<sid>, TTL from cookie.maxAge
         secret: secrets,
         resave: false,
         saveUninitialized: false,
         cookie: { httpOnly: true, sameSite: 'lax', maxAge: 24 * 60 * 60 * 1000 },
      }),
   );
   app.post('/login', (req, res, next) => {
      const user = Number(req.query.user);
      // A new session id at login (session fixation), then the user in it.
      req.session.regenerate((error) => {
         if (error) return next(error);
         req.session.userId = user;
         req.session.save((saveError) => (saveError ? next(saveError) : res.json({ userId: user })));
      });
   });
   app.post('/logout', (req, res, next) => {
      req.session.destroy((error) => (error ? next(error) : res.json({ loggedOut: true })));
   });

   const server = await new Promise((resolve, reject) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      listening.once('error', reject);
   });
   const { port } = server.address();
   return {
      port,
      origin: `http://127.0.0.1:${port}`,
      async stop() {
         server.closeAllConnections?.();
         await new Promise((resolve) => server.close(resolve));
         await redis.quit();
      },
   };
}
