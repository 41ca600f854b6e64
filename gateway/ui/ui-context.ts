import type {} from '@fastify/cookie';
import type {} from '@fastify/websocket';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ErrorCode } from '../core/errors.js';
import type { DiscoveredDevice } from '../devices/driver.js';
import type { GatewayFacade as Gateway } from '../facade.js';
import type { AuditLog } from './audit-log.js';
import type { DeviceTestLog } from './device-test-log.js';
import type { DeviceTestResult } from './device-tester.js';
import type { FailedLogins } from './failed-logins.js';
import type { LiveSockets } from './live-sockets.js';
import type { ConfigStore } from '../config/config-store.js';
import type { LiveCache } from './live-cache.js';
import type { LiveStreams } from './live-streams.js';
import type { LoginThrottle } from './login-throttle.js';
import type { LogRing } from './log-ring.js';
import type { SecretStore } from './secret-store.js';
import type { Session, SessionStore } from './sessions.js';
import type { UserStore } from './users.js';

/** What every route module of the UI gets. */
export interface UiContext {
  /** The gateway running now (it is replaced when a configuration change restarts it). */
  gateway(): Gateway;
  store: ConfigStore;
  users: UserStore;
  sessions: SessionStore;
  throttle: LoginThrottle;
  /** Wrong passwords per user since the last login (told at the next login). */
  failedLogins: FailedLogins;
  /** Request rate of the login and setup routes per address (@fastify/rate-limit). */
  loginRate: { max: number; windowMs: number };
  /** Open websockets by session: closed when their session ends. */
  sockets: LiveSockets;
  audit: AuditLog;
  secrets: SecretStore;
  live: LiveCache;
  streams: LiveStreams;
  logs?: LogRing;
  log: Logger;
  /** The one-time setup code while no user exists. */
  setupCode(): string | undefined;
  clearSetupCode(): void;
  /** Looks for devices on the network (every driver that can). */
  /** Devices found, and per driver what it probed where (`discoveryReport`), for an empty scan. */
  discover(timeoutMs: number): Promise<{ found: DiscoveredDevice[]; reports: DiscoveryReports }>;
  /** Tests a device configuration before it is saved; `secretEnv`: the passwords typed for the test, as `{ env }` values; `waitMs`: for the device's first word. */
  testDevice(device: Record<string, unknown>, options: { point?: string; waitMs?: number; secretEnv?: Record<string, string> }): Promise<DeviceTestResult>;
  /** The last test before save of each device (the commissioning report). */
  tests: DeviceTestLog;
}

declare module 'fastify' {
  interface FastifyRequest {
    session?: Session;
  }
}

/** The audit's "who" for a request. */
export function who(req: FastifyRequest): string {
  return req.session?.user ?? '(anonymous)';
}

/** A 4xx answer with a stable code and words a technician can act on. */
export function refuse(reply: FastifyReply, status: number, code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).send({ error: { code, message, ...extra } });
}

/** What each driver's last scan probed, by driver name (the driver's own report, see Driver.discoveryReport). */
export type DiscoveryReports = Array<{ driver: string; report: Record<string, unknown> }>;
