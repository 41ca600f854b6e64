import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayFacade } from './facade.js';

/**
 * A part of the daemon that is not on the data path: the technicians' UI, an exporter. It gets
 * the running gateway and the HTTP server; it cannot block the flow of data, and one that fails
 * to start is logged and left out.
 */
export interface GatewayExtension {
  readonly name: string;
  /** Adds routes. Called before the HTTP server listens (fastify registers routes before listen). */
  registerHttp?(app: FastifyInstance, gateway: GatewayFacade): Promise<void>;
  /** Whether the request carries this extension's login (a UI session): `/api/status` then answers. */
  authenticated?(req: FastifyRequest): boolean;
  /** Called once the gateway runs (outbox open, devices added). */
  start?(gateway: GatewayFacade): Promise<void>;
  /** Called first when the gateway stops. */
  stop?(): Promise<void>;
}
