import { NS } from '../../drivers/onvif/soap/namespaces.js';
import type { SimCamera } from './sim-camera.js';
import type { SimNotification } from './sim-notification.js';

/**
 * Axis's topic namespace. The simulator's city analytics are published the way third-party AXIS
 * Camera Application Platform apps publish theirs: `tnsaxis:CameraApplicationPlatform/<App>/
 * Camera<N>Profile1`, data item `active` 1/0 for states (see docs/onvif.md "Vendor analytics").
 */
export const AXIS_TOPICS = 'http://www.axis.com/2009/event/topics';
const acap = (app: string) => `CameraApplicationPlatform/${app}`;
const active = (a: AnalyticsArgs) => ((a.on ?? true) ? '1' : '0');

/** Analytics a scenario or the control API can raise on a camera channel. */
export type AnalyticsKind =
  | 'motion'
  | 'cell-motion'
  | 'line-crossed'
  | 'intrusion'
  | 'loitering'
  | 'object-left'
  | 'tamper'
  | 'scene-change'
  | 'video-loss'
  | 'people-count'
  | 'occupancy'
  | 'crowd-density'
  | 'illegal-parking'
  | 'street-vendor'
  | 'floating-object'
  | 'fireworks'
  | 'smoke'
  | 'unknown-vendor';

export const ANALYTICS_KINDS: readonly AnalyticsKind[] = [
  'motion',
  'cell-motion',
  'line-crossed',
  'intrusion',
  'loitering',
  'object-left',
  'tamper',
  'scene-change',
  'video-loss',
  'people-count',
  'occupancy',
  'crowd-density',
  'illegal-parking',
  'street-vendor',
  'floating-object',
  'fireworks',
  'smoke',
  'unknown-vendor',
];

export interface AnalyticsArgs {
  channel?: number;
  /** For property kinds: true raises, false clears (default true). */
  on?: boolean;
  rule?: string;
  objectId?: string;
  /** Line crossings: the direction item some firmware adds (`in`/`out`, `LeftToRight`...). */
  direction?: string;
  /** Counts for people-count / occupancy / crowd-density. */
  in?: number;
  out?: number;
  count?: number;
  occupancy?: number;
  density?: number;
  /** Extra data items (the benchmark stamps its send time here). */
  extra?: Record<string, string>;
}

type Spec = { ns: string; path: string; property: boolean; data: (a: AnalyticsArgs) => Record<string, string>; rule?: string; acap?: boolean };

const b = (a: AnalyticsArgs) => String(a.on ?? true);
const SPECS: Record<AnalyticsKind, Spec> = {
  motion: { ns: NS.tns1, path: 'VideoSource/MotionAlarm', property: true, data: (a) => ({ State: b(a) }) },
  'cell-motion': { ns: NS.tns1, path: 'RuleEngine/CellMotionDetector/Motion', property: true, data: (a) => ({ IsMotion: b(a) }), rule: 'MyMotionDetectorRule' },
  'line-crossed': {
    ns: NS.tns1,
    path: 'RuleEngine/LineDetector/Crossed',
    property: false,
    data: (a) => ({ ObjectId: a.objectId ?? '1', ...(a.direction ? { Direction: a.direction } : {}) }),
    rule: 'Line1',
  },
  intrusion: { ns: NS.tns1, path: 'RuleEngine/FieldDetector/ObjectsInside', property: true, data: (a) => ({ IsInside: b(a) }), rule: 'Field1' },
  loitering: { ns: NS.tns1, path: 'RuleEngine/LoiteringDetector/ObjectIsLoitering', property: true, data: (a) => ({ IsLoitering: b(a) }), rule: 'Loiter1' },
  'object-left': {
    ns: NS.tns1,
    path: 'RuleEngine/ObjectAbandoned/ObjectIsAbandoned',
    property: true,
    data: (a) => ({ IsAbandoned: b(a) }),
    rule: 'Abandoned1',
  },
  tamper: { ns: NS.tns1, path: 'RuleEngine/TamperDetector/Tamper', property: true, data: (a) => ({ IsTamper: b(a) }), rule: 'Tamper1' },
  'scene-change': { ns: NS.tns1, path: 'VideoSource/GlobalSceneChange/ImagingService', property: true, data: (a) => ({ State: b(a) }) },
  'video-loss': { ns: NS.tns1, path: 'VideoSource/SignalLoss', property: true, data: (a) => ({ State: b(a) }) },
  'people-count': {
    ns: NS.tns1,
    path: 'RuleEngine/CountAggregation/Counter',
    property: false,
    data: (a) => ({ In: String(a.in ?? 0), Out: String(a.out ?? 0), Count: String(a.count ?? (a.in ?? 0) - (a.out ?? 0)) }),
    rule: 'Counter1',
  },
  occupancy: {
    ns: NS.tns1,
    path: 'RuleEngine/CountAggregation/OccupancyCounter',
    property: false,
    data: (a) => ({ Occupancy: String(a.occupancy ?? 0) }),
    rule: 'Occupancy1',
  },
  'crowd-density': {
    ns: AXIS_TOPICS,
    path: acap('CrowdDensity'),
    acap: true,
    property: false,
    data: (a) => ({ Density: String(a.density ?? 0), Count: String(a.count ?? 0) }),
  },
  'illegal-parking': {
    ns: AXIS_TOPICS,
    path: acap('IllegalParking'),
    acap: true,
    property: true,
    data: (a) => ({ active: active(a), ObjectId: a.objectId ?? '1' }),
  },
  'street-vendor': { ns: AXIS_TOPICS, path: acap('StreetVendor'), acap: true, property: true, data: (a) => ({ active: active(a) }) },
  'floating-object': { ns: AXIS_TOPICS, path: acap('FloatingObject'), acap: true, property: false, data: (a) => ({ ObjectId: a.objectId ?? '1' }) },
  fireworks: { ns: AXIS_TOPICS, path: acap('Fireworks'), acap: true, property: false, data: () => ({ Confidence: '0.9' }) },
  smoke: { ns: AXIS_TOPICS, path: acap('SmokeDetection'), acap: true, property: true, data: (a) => ({ active: active(a) }) },
  'unknown-vendor': { ns: AXIS_TOPICS, path: acap('BirdCounter'), acap: true, property: false, data: () => ({ Birds: '12' }) },
};

/** Builds the notification for an analytics kind on a camera channel. */
export function analyticsNotification(kind: AnalyticsKind, a: AnalyticsArgs = {}): Omit<SimNotification, 'utcTime'> {
  const spec = SPECS[kind];
  if (!spec) throw new Error(`unknown analytics kind ${kind}; one of ${ANALYTICS_KINDS.join(', ')}`);
  const ch = a.channel ?? 1;
  // An ACAP app's profile is the last topic segment; its source instance names the video source.
  if (spec.acap)
    return {
      topicNs: spec.ns,
      topicPath: `${spec.path}/Camera${ch}Profile1`,
      source: { VideoSourceConfigurationToken: `VSC_${ch}` },
      data: { ...spec.data(a), ...a.extra },
      property: spec.property,
    };
  const source: Record<string, string> = { VideoSourceConfigurationToken: `VSC_${ch}`, VideoAnalyticsConfigurationToken: `VAC_${ch}` };
  if (spec.rule || a.rule) source.Rule = a.rule ?? spec.rule!;
  if (spec.path.startsWith('VideoSource/')) {
    delete source.VideoAnalyticsConfigurationToken;
    delete source.VideoSourceConfigurationToken;
    source.Source = `VS_${ch}`;
  }
  return { topicNs: spec.ns, topicPath: spec.path, source, data: { ...spec.data(a), ...a.extra }, property: spec.property };
}

/** Raises an analytics event on a camera. */
export function raise(cam: SimCamera, kind: AnalyticsKind, a: AnalyticsArgs = {}): void {
  cam.emit(analyticsNotification(kind, a));
}
