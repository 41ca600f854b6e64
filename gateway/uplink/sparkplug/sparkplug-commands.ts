import type { Logger } from 'pino';
import { errorMessage, GatewayError } from '../../core/errors.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { type MetricCatalog, NODE_SCOPE } from './metric-catalog.js';
import { commandValue, decodePayload, type UMetric } from './sparkplug-payloads.js';
import type { CommandTarget } from './sparkplug-topics.js';

export interface SparkplugCommandsOptions {
  /** The aliases the births declared: a command may name a metric by alias only. */
  catalog: MetricCatalog;
  /** write-point with its checks (writable, limits, device online). */
  writePoint: (device: string, point: string, value: number | boolean | string) => Promise<void>;
  /** Node Control/Rebirth: a full birth sequence with the same bdSeq. */
  rebirth: () => void;
  metrics: GatewayMetrics;
  log: Logger;
}

/**
 * NCMD and DCMD from the host (Sparkplug B 3.0 §6.4.8, §6.4.17): a payload that is not Sparkplug B
 * is refused and counted; Node Control/Rebirth is the one NCMD metric supported; DCMD metrics
 * become write-point calls, each refused one logged with its code and counted.
 */
export class SparkplugCommands {
  constructor(private readonly o: SparkplugCommandsOptions) {}

  handle(target: CommandTarget, topic: string, payload: Buffer): void {
    let metrics: UMetric[];
    try {
      metrics = decodePayload(payload).metrics ?? [];
    } catch (err) {
      this.o.metrics.commands.inc({ command: 'sparkplug', code: 'E_BAD_COMMAND' });
      this.o.log.warn({ topic, bytes: payload.length, problem: errorMessage(err) }, 'sparkplug command is not a Sparkplug B payload: ignored');
      return;
    }
    if (target.kind === 'node') this.onNodeCommand(metrics);
    else void this.onDeviceCommand(target.device, metrics);
  }

  private nameOf(scope: string, m: UMetric): string | undefined {
    return m.name ?? (m.alias !== undefined && m.alias !== null ? this.o.catalog.byAliasIn(scope, Number(m.alias))?.name : undefined);
  }

  private onNodeCommand(metrics: UMetric[]): void {
    for (const m of metrics) {
      const name = this.nameOf(NODE_SCOPE, m);
      if (name === 'Node Control/Rebirth' && m.value === true) {
        // [tck-id-operational-behavior-data-commands-rebirth-action-1..3]: same bdSeq, full birth sequence.
        this.o.log.info('sparkplug rebirth requested');
        this.o.rebirth();
      } else {
        this.o.metrics.commands.inc({ command: 'sparkplug-ncmd', code: 'E_UNSUPPORTED' });
        this.o.log.warn({ metric: name ?? `alias ${String(m.alias)}` }, 'sparkplug NCMD metric not supported: ignored');
      }
    }
  }

  /** DCMD metrics become write-point calls, with write-point's checks ([tck-id-operational-behavior-data-commands-dcmd-metric-value]). */
  private async onDeviceCommand(device: string, metrics: UMetric[]): Promise<void> {
    for (const m of metrics) {
      const name = this.nameOf(device, m);
      const value = commandValue(m);
      try {
        if (!name) throw new GatewayError('E_UNKNOWN_POINT', `DCMD for ${device} names alias ${String(m.alias)}, which its birth did not declare`);
        if (name.startsWith('Event/') || name.startsWith('Device Info/')) throw new GatewayError('E_NOT_WRITABLE', `${device}/${name} is read-only`);
        if (value === undefined) throw new GatewayError('E_BAD_ARGS', `DCMD ${device}/${name} carries no number, boolean or string`);
        await this.o.writePoint(device, name, value);
        this.o.metrics.commands.inc({ command: 'sparkplug-dcmd', code: 'OK' });
        this.o.log.info({ device, point: name, value }, 'sparkplug DCMD written');
      } catch (err) {
        const code = err instanceof GatewayError ? err.code : 'E_INTERNAL';
        this.o.metrics.commands.inc({ command: 'sparkplug-dcmd', code });
        this.o.log.warn({ device, point: name, code, problem: errorMessage(err) }, 'sparkplug DCMD refused');
      }
    }
  }
}
