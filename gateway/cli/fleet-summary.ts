import mqtt from 'mqtt';

/** What one gateway's retained `state` says (contract state.schema.json). */
export interface FleetEntry {
  site: string;
  gateway: string;
  online: boolean;
  mode?: string;
  devices?: { total: number; online: number };
  outbox?: { events: number; telemetry: number; oldest?: string };
  version?: string;
  /** When its state was last published (`ts`). */
  ts?: string;
}

/** Reads a `{prefix}/{site}/{gateway}/state` message; undefined for anything else. */
export function fleetEntry(prefix: string, topic: string, payload: Buffer): FleetEntry | undefined {
  const parts = topic.slice(prefix.length + 1).split('/');
  if (parts.length !== 3 || parts[2] !== 'state') return undefined;
  try {
    const doc = JSON.parse(payload.toString('utf8')) as Omit<FleetEntry, 'site' | 'gateway'>;
    if (typeof doc.online !== 'boolean') return undefined;
    return {
      site: parts[0]!,
      gateway: parts[1]!,
      online: doc.online,
      mode: doc.mode,
      devices: doc.devices,
      outbox: doc.outbox,
      version: doc.version,
      ts: doc.ts,
    };
  } catch {
    return undefined;
  }
}

/** One line per gateway, sorted by site and gateway, then a total line. */
export function fleetLines(entries: Iterable<FleetEntry>, now = Date.now()): string[] {
  const list = [...entries].sort((a, b) => `${a.site}/${a.gateway}`.localeCompare(`${b.site}/${b.gateway}`));
  const width = Math.max(12, ...list.map((e) => e.site.length + e.gateway.length + 1));
  const lines = list.map((e) => {
    const name = `${e.site}/${e.gateway}`.padEnd(width);
    const devices = e.devices ? `${e.devices.online}/${e.devices.total}` : '-';
    const backlog = e.outbox ? `${e.outbox.events} ev ${e.outbox.telemetry} rd${e.outbox.oldest ? ` since ${e.outbox.oldest}` : ''}` : '-';
    const age = e.ts ? `${Math.max(0, Math.round((now - Date.parse(e.ts)) / 1000))} s ago` : '-';
    return `${name}  ${e.online ? 'ONLINE ' : 'OFFLINE'}  mode=${(e.mode ?? '-').padEnd(11)}  devices=${devices.padEnd(7)}  backlog=${backlog}  state ${age}`;
  });
  const online = list.filter((e) => e.online).length;
  const sites = new Set(list.map((e) => e.site)).size;
  lines.push(`${list.length} gateways at ${sites} site(s): ${online} online, ${list.length - online} offline`);
  return lines;
}

/**
 * `gridgate tail --fleet`: the retained `state` of every gateway under the prefix, redrawn as one
 * line per gateway whenever one changes (at most every `everyMs`).
 */
export async function fleetCommand(o: { url: string; prefix: string; site?: string; everyMs?: number }): Promise<number> {
  const filter = `${o.prefix}/${o.site ?? '+'}/+/state`;
  const fleet = new Map<string, FleetEntry>();
  let dirty = false;
  const client = mqtt.connect(o.url, { clientId: `gridgate-fleet-${process.pid}`, reconnectPeriod: 2000, clean: true });
  client.on('connect', () => {
    console.error(`tail --fleet: connected to ${o.url}, watching ${filter} (Ctrl-C to stop)`);
    client.subscribe(filter, { qos: 1 });
  });
  client.on('error', (err) => console.error(`tail --fleet: ${err.message}`));
  client.on('message', (topic, payload) => {
    const e = fleetEntry(o.prefix, topic, payload);
    if (!e) return;
    fleet.set(`${e.site}/${e.gateway}`, e);
    dirty = true;
  });
  const timer = setInterval(() => {
    if (!dirty) return;
    dirty = false;
    console.log(`--- fleet at ${new Date().toISOString()}`);
    for (const line of fleetLines(fleet.values())) console.log(line);
  }, o.everyMs ?? 1000);
  return new Promise((resolve) => {
    const stop = () => {
      clearInterval(timer);
      client.end(true, {}, () => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
