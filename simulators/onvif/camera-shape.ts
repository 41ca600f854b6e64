/**
 * The shape of a simulated camera as its SOAP services see it. SimCamera (sim-camera.ts) owns the
 * services and implements this; the services depend only on this file, so there is no import
 * cycle between the camera and its services.
 */
import type { PullPointStore } from './pull-point-store.js';
import type { SimCredentials } from './sim-auth.js';
import type { SimFaults } from './sim-faults.js';
import type { SimNotification } from './sim-notification.js';

export interface SimCameraOptions {
  id: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** 1 for a camera; N for an NVR with N channels. */
  channels: number;
  credentials: SimCredentials;
  /** How SOAP calls must authenticate: WS-UsernameToken, HTTP Digest, or either. */
  soapAuth: 'ws-security' | 'http-digest' | 'any';
  /** Accepted |Created − device time| for a UsernameToken, ms. */
  tokenWindowMs: number;
  /** Prefix this camera uses for the ONVIF topic namespace (cameras differ: tns1, ns1, onvif...). */
  topicPrefix: string;
  media2: boolean;
  manufacturer: string;
  model: string;
  firmware: string;
  rtspPort: number;
  maxPullPoints: number;
  /** Put user:password into RTSP URIs, as some firmware does (tests the driver's redaction). */
  streamCredentials?: boolean;
  /** A stable WS-Discovery endpoint reference, `urn:uuid:...`. */
  uuid?: string;
  location?: string;
}

/** Requests and subscription work a camera has seen (tests and the control API read them). */
export interface SimCounters {
  requests: number;
  authFailures: number;
  subscriptions: number;
  pulls: number;
  delivered: number;
  renewals: number;
  unsubscribes: number;
  emitted: number;
  snapshots: number;
  /** Authenticated snapshot GETs, answered or not (hangSnapshots). */
  snapshotRequests: number;
}

/** What the Device, Media and Events services read and change of their camera. */
export interface ServiceCamera {
  readonly o: SimCameraOptions;
  readonly store: PullPointStore;
  readonly properties: Map<string, SimNotification>;
  readonly counters: SimCounters;
  readonly serial: string;
  readonly faults: SimFaults;
  readonly baseUrl: string;
  readonly scopes: string[];
  /** The simulated device clock (local time + the clock-skew fault). */
  deviceNow(): number;
  /** The topic-namespace prefix this camera writes for a namespace. */
  prefixFor(ns: string): string;
}
