import mqtt from 'mqtt';

interface TailOptions {
  url: string;
  prefix: string;
  site?: string;
  gateway?: string;
  json: boolean;
}

/**
 * `gridgate tail`: subscribes to a platform broker and prints the contract messages one line
 * each, for technicians checking a site and for demos.
 */
export async function tailCommand(o: TailOptions): Promise<number> {
  const filter = `${o.prefix}/${o.site ?? '+'}/${o.gateway ?? '+'}/#`;
  const client = mqtt.connect(o.url, { clientId: `gridgate-tail-${process.pid}`, reconnectPeriod: 2000, clean: true });
  client.on('connect', () => {
    console.error(`tail: connected to ${o.url}, watching ${filter} (Ctrl-C to stop)`);
    client.subscribe(filter, { qos: 1 });
  });
  client.on('error', (err) => console.error(`tail: ${err.message}`));
  client.on('message', (topic, payload, packet) => {
    if (o.json) {
      console.log(
        JSON.stringify({ topic, retained: packet.retain, payload: topic.includes('/snapshots/') ? `<${payload.length} bytes jpeg>` : payload.toString() }),
      );
      return;
    }
    console.log(describe(topic.slice(o.prefix.length + 1), payload, packet.retain));
  });
  return new Promise((resolve) => {
    const stop = () => client.end(true, {}, () => resolve(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** One readable line for a contract message (`site/gateway/...` topic). */
export function describe(topic: string, payload: Buffer, retained: boolean): string {
  const parts = topic.split('/');
  const where = `${parts[0]}/${parts[1]}`;
  const rest = parts.slice(2).join('/');
  const flag = retained ? ' (retained)' : '';
  if (rest.startsWith('snapshots/')) return `${where} snapshot ${parts[3]} ${payload.length} bytes jpeg`;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(payload.toString()) as Record<string, unknown>;
  } catch {
    return `${where} ${rest}: not JSON (${payload.length} bytes)`;
  }
  if (rest === 'state') {
    const d = doc.devices as { total: number; online: number } | undefined;
    const ob = doc.outbox as { events: number; telemetry: number } | undefined;
    return `${where} state ${doc.online ? 'ONLINE' : 'OFFLINE'} mode=${doc.mode ?? '-'} devices=${d ? `${d.online}/${d.total}` : '-'} backlog=${ob ? `${ob.events} events, ${ob.telemetry} readings` : '-'}${flag}`;
  }
  if (rest.startsWith('devices/')) return `${where} device ${doc.device} ${String(doc.status).toUpperCase()}${doc.error ? ` (${doc.error})` : ''}${flag}`;
  if (rest === 'telemetry') {
    const readings = (doc.readings as Array<Record<string, unknown>>) ?? [];
    const sample = readings
      .slice(0, 3)
      .map((r) => `${r.device}/${r.point}=${r.quality === 'bad' ? `BAD(${r.error})` : `${r.value}${r.unit ? ` ${r.unit}` : ''}`}`)
      .join(', ');
    return `${where} telemetry seq=${doc.seq} ${readings.length} readings: ${sample}${readings.length > 3 ? ', ...' : ''}`;
  }
  if (rest === 'events') {
    return `${where} event seq=${doc.seq} ${String(doc.severity).toUpperCase()} ${doc.type} ${doc.state} [${doc.mode}]${doc.message ? ` ${doc.message}` : ''}`;
  }
  if (rest.startsWith('cmd/') && rest.endsWith('/result')) {
    const err = doc.error as { code: string; message: string } | undefined;
    return `${where} ${rest} id=${doc.id} ${doc.ok ? `ok ${JSON.stringify(doc.result)}` : `FAILED ${err?.code}: ${err?.message}`}`;
  }
  if (rest.startsWith('cmd/')) return `${where} ${rest} id=${doc.id} args=${JSON.stringify(doc.args)}`;
  return `${where} ${rest}: ${payload.toString().slice(0, 200)}`;
}
