import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ANALYTICS_KINDS, type AnalyticsArgs, type AnalyticsKind } from './analytics.js';
import type { RunningScenario } from './scenarios.js';
import { SCENARIOS, type ScenarioName, type ScenarioOptions } from './scenarios.js';
import type { SimCamera } from './sim-camera.js';
import { NO_FAULTS, type SimFaults } from './sim-faults.js';

/** What the API drives of a camera set: camera-set.ts starts the API, so it names this shape rather than importing CameraSet. */
export interface ControlledCameras {
  cameras: SimCamera[];
  camera(id: string): SimCamera;
  emit(id: string, kind: AnalyticsKind, args?: AnalyticsArgs): void;
  setFaults(id: string, faults: Partial<SimFaults>): Promise<void>;
  killSubscriptions(id: string): number;
  scenario(name: ScenarioName, options?: ScenarioOptions): RunningScenario;
}

/**
 * A small JSON control API for the camera set (the CLI talks to it):
 *   GET  /devices
 *   POST /devices/:id/events     {"kind":"fireworks","channel":1,...}
 *   POST /devices/:id/faults     {"offline":true} (id "*" = all)
 *   POST /devices/:id/kill-subscriptions
 *   POST /scenarios/:name        {"intervalMs":2000,...}   DELETE /scenarios/:name
 */
export async function startControlApi(set: ControlledCameras, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const running = new Map<ScenarioName, RunningScenario>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
        const parts = (req.url ?? '/').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
        if (req.method === 'GET' && parts[0] === 'devices' && parts.length === 1) {
          return reply(
            200,
            set.cameras.map((c) => ({
              id: c.o.id,
              url: c.url,
              uuid: c.uuid,
              channels: c.o.channels,
              faults: c.faults,
              counters: c.counters,
              subscriptions: c.store.size,
            })),
          );
        }
        if (req.method === 'POST' && parts[0] === 'devices' && parts.length === 3) {
          const id = parts[1]!;
          if (parts[2] === 'events') {
            const kind = body.kind as AnalyticsKind;
            if (!ANALYTICS_KINDS.includes(kind)) return reply(400, { error: `kind must be one of ${ANALYTICS_KINDS.join(', ')}` });
            for (const c of id === '*' ? set.cameras : [set.camera(id)]) set.emit(c.o.id, kind, body as AnalyticsArgs);
            return reply(200, { ok: true });
          }
          if (parts[2] === 'faults') {
            const unknown = Object.keys(body).filter((k) => !(k in NO_FAULTS));
            if (unknown.length) return reply(400, { error: `unknown fault ${unknown.join(', ')}; known: ${Object.keys(NO_FAULTS).join(', ')}` });
            await set.setFaults(id, body as Partial<SimFaults>);
            return reply(200, { ok: true });
          }
          if (parts[2] === 'kill-subscriptions') return reply(200, { killed: set.killSubscriptions(id) });
        }
        if (parts[0] === 'scenarios' && parts.length === 2) {
          const name = parts[1] as ScenarioName;
          if (!SCENARIOS.includes(name)) return reply(400, { error: `scenario must be one of ${SCENARIOS.join(', ')}` });
          running.get(name)?.stop();
          running.delete(name);
          if (req.method === 'POST') running.set(name, set.scenario(name, body as ScenarioOptions));
          return reply(200, { running: [...running.keys()] });
        }
        reply(404, { error: 'no such route' });
      } catch (err) {
        reply(400, { error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      for (const s of running.values()) s.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
