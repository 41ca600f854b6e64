import type { IngestRejectReason } from '../../gateway/devices/driver.js';

/** Why a message (or a point in it) was not taken, counted per device. */
export const REJECT_KINDS = [
  'notJson',
  'notObject',
  'oversized',
  'unknownTopic',
  'missingPath',
  'wrongType',
  'badTime',
  'duplicate',
  'outOfOrder',
  'aclDenied',
  'authFailed',
  'duplicateKey',
  'untrustedTime',
  'implausible',
] as const;
export type RejectKind = (typeof REJECT_KINDS)[number];

/**
 * The reason each kind is counted under in gridgate_ingest_rejected_total; kinds that are not a
 * refusal of bad input (a resend dropped as a duplicate, a topic no point maps) are not counted there.
 */
export const INGEST_REASON: Readonly<Partial<Record<RejectKind, IngestRejectReason>>> = {
  notJson: 'malformed',
  notObject: 'malformed',
  missingPath: 'malformed',
  wrongType: 'malformed',
  badTime: 'malformed',
  oversized: 'oversize',
  outOfOrder: 'out-of-order',
  aclDenied: 'acl',
  authFailed: 'auth',
  duplicateKey: 'duplicate-key',
  untrustedTime: 'stale-time',
  implausible: 'implausible',
};

/** A snapshot of one device's counters (plain data, cheap to copy). */
export interface MqttDeviceStats {
  /** Messages that reached the driver for this device (taken or not). */
  messages: number;
  bytes: number;
  samples: number;
  rejected: Record<RejectKind, number>;
  counterResets: number;
  counterWraps: number;
  /** ms since the epoch (gateway clock) of the last message, if any. */
  lastMessageAt: number | undefined;
  online: boolean;
}

/** Mutable counters behind MqttDeviceStats. */
export class DeviceStats {
  messages = 0;
  bytes = 0;
  samples = 0;
  readonly rejected = Object.fromEntries(REJECT_KINDS.map((k) => [k, 0])) as Record<RejectKind, number>;
  counterResets = 0;
  counterWraps = 0;
  lastMessageAt: number | undefined;
  online = false;

  snapshot(): MqttDeviceStats {
    return {
      messages: this.messages,
      bytes: this.bytes,
      samples: this.samples,
      rejected: { ...this.rejected },
      counterResets: this.counterResets,
      counterWraps: this.counterWraps,
      lastMessageAt: this.lastMessageAt,
      online: this.online,
    };
  }
}
