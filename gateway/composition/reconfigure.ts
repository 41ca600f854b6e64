import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import type { SiteRules } from '../rules/site-rules.js';
import type { SparkplugUplink } from '../uplink/sparkplug/sparkplug-uplink.js';
import type { Uplink } from '../uplink/uplink.js';
import type { GatewayParts } from './parts.js';

/** What live reconfiguration needs of the gateway. */
export interface Reconfigurable {
  parts(): GatewayParts;
  current(): Readonly<GatewayConfig>;
  setCurrent(config: Readonly<GatewayConfig>): void;
  /** New site rules for the configuration in force. */
  makeRules(parts: GatewayParts): SiteRules;
  /** A new platform connection for the configuration in force (throws on a bad secret). */
  makeUplink(parts: GatewayParts): Uplink | SparkplugUplink;
  log: Logger;
}

export type ConfigChange = { changed: string[]; restartRequired: string[] };

/** Settings only a restart applies (ids, data folder, outbox, HTTP, log). */
const RESTART_REQUIRED = ['gateway', 'site', 'dataDir', 'outbox', 'http', 'log'] as const;

/**
 * Moves the running gateway to a new configuration, restarting only what changed: devices are
 * added, updated or removed one by one; zones, rules, calendar and mode policies are rebuilt;
 * a new platform connection is made if the platform changed. Settings that need a process
 * restart are listed, not applied. If a step fails, the previous configuration is applied again
 * and the error is thrown.
 */
export async function applyConfig(g: Reconfigurable, next: Readonly<GatewayConfig>): Promise<ConfigChange> {
  const previous = g.current();
  try {
    return await moveTo(g, next);
  } catch (err) {
    g.log.error({ err }, 'configuration change failed: rolling back');
    await moveTo(g, previous).catch((rollbackErr: unknown) => g.log.fatal({ err: rollbackErr }, 'rollback failed'));
    throw err;
  }
}

async function moveTo(g: Reconfigurable, next: Readonly<GatewayConfig>): Promise<ConfigChange> {
  const parts = g.parts();
  const prev = g.current();
  const differs = (k: keyof GatewayConfig) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]);
  const restartRequired = RESTART_REQUIRED.filter(differs);
  const changed: string[] = [];
  g.setCurrent(next);
  if (differs('devices')) {
    const r = await parts.devices.apply(next.devices);
    changed.push(
      ...r.added.map((id) => `devices: added ${id}`),
      ...r.updated.map((id) => `devices: updated ${id}`),
      ...r.removed.map((id) => `devices: removed ${id}`),
    );
  }
  if (differs('zones') || differs('rules') || differs('calendar') || differs('modes')) {
    parts.rules.stop();
    parts.rules = g.makeRules(parts);
    parts.rules.start();
    changed.push('zones, rules and modes rebuilt');
  }
  if (differs('platform')) {
    const uplink = g.makeUplink(parts); // first, so a bad secret fails before anything stops
    await parts.uplink.stop(2000);
    parts.uplink = uplink;
    uplink.start();
    changed.push('platform connection restarted');
  }
  if (differs('batching') || differs('snapshots')) changed.push('batching and snapshot policy');
  g.log.info({ changed, restartRequired }, 'configuration applied');
  return { changed, restartRequired };
}
