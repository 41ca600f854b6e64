import type { RawSample } from '../../../gateway/devices/driver.js';
import type { DriverEvent } from '../../../gateway/devices/driver.js';
import type { EventRegistry, RegistryRule } from './event-registry.js';
import type { Notification } from './notification.js';
import { deviceText } from '../transport/device-text.js';
import { displayTopic } from './topic.js';

/** What one notification becomes. */
export interface NormalizedOutput {
  event: DriverEvent | undefined;
  /** The rule asks for a picture (the device's settings decide in the end). */
  wantsSnapshot: boolean;
  samples: RawSample[];
}

export interface NormalizerOptions {
  device: string;
  zone?: string;
  /** Source token (VideoSource, VideoSourceConfiguration, profile) → 1-based channel. */
  channelOf: (token: string) => number | undefined;
  /** Channels > 1 prefix their reading points (`ch2/people.in`); a single camera does not. */
  multiChannel: boolean;
  /** Called the first time an unmapped topic is seen (the driver logs it once per topic). */
  onUnknownTopic: (topic: string) => void;
  now: () => number;
  /** Camera time → local time (the tracked clock offset): event times are stamped in gateway time. */
  toLocal: (deviceMs: number) => number;
}

/** Items that name the video source of a notification, in the order cameras use them. */
const SOURCE_ITEMS = ['VideoSourceToken', 'VideoSourceConfigurationToken', 'Source', 'VideoSource', 'ProfileToken', 'InputToken'];
const BOOLEAN_VALUES = new Set(['true', 'false', '1', '0']);

/**
 * Turns notifications into contract events and readings for one device. It tracks which keys
 * are active, so the `Initialized` replay after SetSynchronizationPoint (ONVIF Core §9.6)
 * neither repeats an `active` nor sends a `cleared` nobody saw begin.
 */
export class EventNormalizer {
  private readonly active = new Set<string>();
  /** Happenings counted per reading point since the gateway started (a counter reading). */
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly registry: EventRegistry,
    private readonly o: NormalizerOptions,
  ) {}

  normalize(n: Notification): NormalizedOutput {
    const matched = n.topic ? this.registry.match(n.topic) : undefined;
    const rule = matched?.rule;
    const items: Record<string, string> = { ...n.source, ...n.key, ...n.data, ...(matched?.leaf !== undefined ? { TopicLeaf: matched.leaf } : {}) };
    const channel = this.channel(items);
    const ts = n.utcTime !== undefined ? this.o.toLocal(n.utcTime) : this.o.now();
    const topicText = n.topic ? displayTopic(n.topic, this.registry.prefixes) : n.rawTopic;
    if (!rule) {
      this.o.onUnknownTopic(topicText || '(no topic)');
      return { event: this.unknown(n, items, channel, ts, topicText), wantsSnapshot: false, samples: [] };
    }
    const samples = this.readings(rule, items, channel, ts);
    const unresolved = this.unresolvedSource(items, channel);
    const state = stateOf(rule, items);
    const key = [
      this.o.device,
      rule.type,
      ...(channel !== undefined ? [String(channel)] : []),
      ...rule.keyItems.filter((k) => items[k] !== undefined).map((k) => items[k]),
    ].join(':');
    const emitted = this.track(key, state);
    // A counted happening: each pulse, or each rising edge of a property (Axis Cross Line Detection
    // is `active` 1 then 0). A SetSynchronizationPoint replay (`Initialized`) is not a new happening.
    if (rule.count && emitted && state !== 'cleared' && n.propertyOperation !== 'Initialized') samples.push(this.countOne(rule.count, items, channel, ts));
    if (!emitted) return { event: undefined, wantsSnapshot: false, samples };
    const event: DriverEvent = {
      device: this.o.device,
      type: rule.type,
      state,
      severity: rule.severity,
      key,
      ts,
      channel,
      zone: this.o.zone,
      topic: topicText,
      data: {
        ...items,
        ...(n.propertyOperation ? { propertyOperation: n.propertyOperation } : {}),
        ...(items.ObjectId !== undefined ? { objectId: items.ObjectId } : {}),
        ...(unresolved ? { sourceUnresolved: unresolved, note: `video source ${unresolved} is not a channel of this device: no channel, no picture` } : {}),
      },
      ...(rule.suppression !== 'storm' ? { suppression: rule.suppression } : {}),
    };
    // Never another channel's picture: an event whose source names no channel of ours gets none.
    return { event, wantsSnapshot: rule.snapshot && state !== 'cleared' && !unresolved, samples };
  }

  /** Keys currently active (for device state meta). */
  get activeCount(): number {
    return this.active.size;
  }

  private track(key: string, state: 'active' | 'cleared' | 'pulse'): boolean {
    if (state === 'pulse') return true;
    if (state === 'active') {
      if (this.active.has(key)) return false;
      this.active.add(key);
      return true;
    }
    return this.active.delete(key);
  }

  /** Adds one happening to its counter reading: `[chN/]point[/<by item value>...]`. */
  private countOne(c: NonNullable<RegistryRule['count']>, items: Record<string, string>, channel: number | undefined, ts: number): RawSample {
    const parts = c.by
      .map((k) => items[k])
      .filter((v): v is string => v !== undefined && v !== '')
      .map(pointSegment);
    const base = [c.point, ...parts].join('/');
    const point = this.o.multiChannel && channel !== undefined ? `ch${channel}/${base}` : base;
    const n = (this.counts.get(point) ?? 0) + 1;
    // Bounded: a camera inventing rule names cannot grow this without limit.
    if (this.counts.size < 10_000 || this.counts.has(point)) this.counts.set(point, n);
    return { device: this.o.device, point, ts, raw: n };
  }

  /** On a multi-channel device, a source token present but matching no channel (`VSC_9` on a 4-channel NVR). */
  private unresolvedSource(items: Record<string, string>, channel: number | undefined): string | undefined {
    if (channel !== undefined) return undefined;
    const named = SOURCE_ITEMS.map((k) => items[k]).find((v) => v !== undefined);
    return named === undefined ? undefined : deviceText(named, 64);
  }

  private channel(items: Record<string, string>): number | undefined {
    for (const name of SOURCE_ITEMS) {
      const v = items[name];
      if (v === undefined) continue;
      const c = this.o.channelOf(v);
      if (c !== undefined) return c;
    }
    return this.o.multiChannel ? undefined : 1;
  }

  private readings(rule: RegistryRule, items: Record<string, string>, channel: number | undefined, ts: number): RawSample[] {
    const out: RawSample[] = [];
    for (const r of rule.readings) {
      const v = items[r.item];
      if (v === undefined) continue;
      const n = Number(v);
      const point = this.o.multiChannel && channel !== undefined ? `ch${channel}/${r.point}` : r.point;
      out.push(
        Number.isFinite(n) && v.trim() !== ''
          ? { device: this.o.device, point, ts, raw: n }
          : {
              device: this.o.device,
              point,
              ts,
              raw: null,
              quality: 'bad',
              error: `camera sent ${deviceText(r.item, 60)}="${deviceText(v, 40)}", not a number`,
            },
      );
    }
    return out;
  }

  /** An unmapped topic: `vendor.<path>`; a property with one boolean item keeps active/cleared. */
  private unknown(n: Notification, items: Record<string, string>, channel: number | undefined, ts: number, topicText: string): DriverEvent | undefined {
    const type = vendorType(n.topic ?? n.rawTopic);
    const boolItems = Object.entries(n.data).filter(([, v]) => BOOLEAN_VALUES.has(v.toLowerCase()));
    let state: 'active' | 'cleared' | 'pulse' = 'pulse';
    if (n.propertyOperation && boolItems.length === 1) state = ['true', '1'].includes(boolItems[0]![1].toLowerCase()) ? 'active' : 'cleared';
    const key = [this.o.device, type, ...(channel !== undefined ? [String(channel)] : [])].join(':');
    if (!this.track(key, state)) return undefined;
    return { device: this.o.device, type, state, severity: 'info', key, ts, channel, zone: this.o.zone, topic: topicText, data: { ...items } };
  }
}

/** A data item's value as one segment of a point name (contract: `[A-Za-z0-9._/-]`, ≤128 in all). */
function pointSegment(v: string): string {
  const s = v
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 32);
  return s || 'unnamed';
}

function stateOf(rule: RegistryRule, items: Record<string, string>): 'active' | 'cleared' | 'pulse' {
  if (rule.state === 'pulse') return 'pulse';
  const v = items[rule.state.item];
  return v !== undefined && rule.state.active.includes(v.toLowerCase()) ? 'active' : 'cleared';
}

/** `{uri}RuleEngine/MyRule/Detected` → `vendor.rule_engine.my_rule.detected` (contract: dotted lower-case). */
export function vendorType(topic: string): string {
  const path = topic.replace(/\{[^}]*\}/g, '').replace(/^[^/]*:/, '');
  const parts = path
    .split('/')
    .map((s) =>
      s
        .replace(/^[^:]*:/, '')
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '_')
        .replace(/^[^a-z]+/, ''),
    )
    .filter((s) => s.length > 0)
    .slice(-4);
  return parts.length ? `vendor.${parts.join('.')}` : 'vendor.unknown';
}
