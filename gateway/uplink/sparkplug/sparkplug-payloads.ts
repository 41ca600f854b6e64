import type Long from 'long';
import sparkplug from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { Quality, ReadingValue } from '../../core/model.js';

/** Eclipse Tahu's Sparkplug B codec (the spec's protobuf, sparkplug_b.proto). */
const codec = sparkplug.get('spBv1.0')!;

export type { UMetric, UPayload };

export function encodePayload(payload: UPayload): Uint8Array {
  return codec.encodePayload(payload);
}

/** Decodes a payload from the network; throws on anything that is not a Sparkplug B protobuf. */
export function decodePayload(bytes: Uint8Array): UPayload {
  return codec.decodePayload(bytes);
}

/** A protobuf 64-bit value (Long) or a number, as a JS number. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && typeof (value as Long).toNumber === 'function') return (value as Long).toNumber();
  return undefined;
}

/** Ignition's OPC-style quality codes, sent as the metric property `Quality` when a reading is not good. */
export function qualityProperty(quality: Quality): UMetric['properties'] | undefined {
  if (quality === 'good') return undefined;
  return { Quality: { type: 'Int32', value: quality === 'bad' ? 0 : 64 } };
}

/** A DCMD/NCMD metric value as something write-point accepts; undefined when it is of no usable type. */
export function commandValue(metric: UMetric): number | boolean | string | undefined {
  const v = metric.value;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return toNumber(v);
}

export type { ReadingValue };
