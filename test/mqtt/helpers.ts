import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { generate } from 'selfsigned';
import { readMqttProfile } from '../../drivers/mqtt/profile-file.js';
import { type MqttDeviceConfig, type MqttDeviceInput, mqttDeviceSchema } from '../../drivers/mqtt/schema.js';
import type { Clock } from '../../gateway/core/clock.js';
import type { IngestRejectReason, RawSample } from '../../gateway/devices/driver.js';
import { RecordingContext } from '../helpers/recording-context.js';

/** Test passwords, by the env reference the devices name (never inline in config). */
export const SECRETS: Record<string, string> = { PW_A: 'correct horse battery', PW_B: 'staple-9', SITE_PW: 'gateway-pass' };
export const readTestSecret = (ref: { env: string } | { file: string }) => {
  if ('env' in ref && SECRETS[ref.env] !== undefined) return SECRETS[ref.env]!;
  throw new Error(`no test secret ${JSON.stringify(ref)}`);
};

/** A validated device whose points come from a shipped profile, merged as the core does (device points win). */
export async function deviceFromProfile(
  profile: string,
  device: Omit<MqttDeviceInput, 'kind' | 'driver'> & { kind?: MqttDeviceInput['kind'] },
): Promise<MqttDeviceConfig> {
  const p = await readMqttProfile(profile);
  const own = device.points ?? [];
  const names = new Set(own.map((x) => x.name));
  return mqttDeviceSchema.parse({ kind: 'mqtt', driver: 'mqtt', profile, ...device, points: [...p.points.filter((x) => !names.has(x.name)), ...own] });
}

/** A DriverContext that records, with a logger whose lines are kept for assertions. */
export class CapturingContext extends RecordingContext {
  readonly lines: Array<Record<string, unknown>> = [];
  /** What the driver reported as refused, in order: [device, reason]. */
  readonly rejections: Array<[string, IngestRejectReason]> = [];
  rejected(device: string, reason: IngestRejectReason): void {
    this.rejections.push([device, reason]);
  }
  override readonly log: Logger;
  constructor(clock?: Clock) {
    super(clock);
    this.log = pino({ level: 'debug' }, { write: (line: string) => this.lines.push(JSON.parse(line) as Record<string, unknown>) });
  }
  /** Log lines with this message (and fields). */
  logged(msg: string, fields: Record<string, unknown> = {}): Array<Record<string, unknown>> {
    return this.lines.filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
  }
}

export function samplesOf(ctx: RecordingContext, device: string, point?: string): RawSample[] {
  return ctx.recorded.samples.filter((s) => s.device === device && (point === undefined || s.point === point));
}

export function last(ctx: RecordingContext, device: string, point: string): RawSample | undefined {
  return samplesOf(ctx, device, point).at(-1);
}

/** Connects a plain MQTT client; resolves with it, or rejects with the CONNACK error. */
export async function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** Resolves when the client's connection closes (the broker closed it). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) resolve();
    client.once('close', () => resolve());
  });
}

/** Polls until `predicate` holds (for conditions no report wakes, such as log lines). */
export async function waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A self-signed certificate for 127.0.0.1 (its own CA), in memory and as PEM files. */
export async function testCertificate(): Promise<{ key: string; cert: string; keyFile: string; certFile: string }> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'gridgate-test' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'gg-tls-'));
  const keyFile = join(dir, 'test.key');
  const certFile = join(dir, 'test.crt');
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  writeFileSync(certFile, pems.cert);
  return { key: pems.private, cert: pems.cert, keyFile, certFile };
}
