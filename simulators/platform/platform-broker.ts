import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface PlatformBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The central platform's MQTT broker, simulated with aedes in-process: what the demo and the
 * tests publish to when there is no real platform. Listens on loopback only.
 */
export interface PlatformBrokerOptions {
  host?: string;
  port?: number;
  admit?: (clientId: string) => boolean;
  /**
   * Milliseconds the broker holds a PUBLISH on this topic before taking it (0: at once): a platform
   * slower than the gateway. Its PUBACK waits as long, and aedes reads nothing more from that
   * client meanwhile, as a slow link would.
   */
  holdPublish?: (topic: string) => number;
}

export async function startPlatformBroker(options: PlatformBrokerOptions = {}): Promise<PlatformBroker> {
  const host = options.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const admit = options.admit;
  const hold = options.holdPublish;
  if (hold) {
    broker.authorizePublish = (_client, packet, done) => {
      const ms = hold(packet.topic);
      if (ms > 0) setTimeout(() => done(null), ms);
      else done(null);
    };
  }
  if (admit) {
    // Tests use this to keep a client out until the platform side is ready (CONNACK 5, not authorized).
    broker.authenticate = (client, _user, _pass, done) => {
      const ok = admit(client.id);
      done(ok ? null : Object.assign(new Error('not admitted'), { returnCode: 5 }), ok);
    };
  }
  const server: Server = createServer(broker.handle);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    stop: async () => {
      // Newest connections first: in tests the platform's recorder connects before the gateway, so
      // the gateway is cut off before the recorder and nothing is acknowledged that no one receives.
      for (const s of [...sockets].reverse()) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
