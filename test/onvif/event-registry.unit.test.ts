import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventRegistry } from '../../drivers/onvif/events/event-registry.js';
import { EventNormalizer, type NormalizedOutput } from '../../drivers/onvif/events/normalizer.js';
import { parseNotifications } from '../../drivers/onvif/events/notification.js';
import { readEnvelope } from '../../drivers/onvif/soap/envelope.js';
import { parseXml } from '../../drivers/onvif/xml/safe-xml.js';

const registry = EventRegistry.load();

function run(fixture: string, opts: { multiChannel?: boolean; tokens?: Record<string, number> } = {}) {
  const xml = readFileSync(new URL(`./fixtures/${fixture}`, import.meta.url));
  const { body } = readEnvelope(parseXml(xml, fixture), fixture);
  const unknown: string[] = [];
  const n = new EventNormalizer(registry, {
    device: 'cam-1',
    channelOf: (t) => opts.tokens?.[t],
    multiChannel: opts.multiChannel ?? false,
    onUnknownTopic: (t) => unknown.push(t),
    now: () => 0,
    toLocal: (ms) => ms - 1000,
  });
  const outs: NormalizedOutput[] = parseNotifications(body.children[0]!).map((x) => n.normalize(x));
  return { outs, events: outs.flatMap((o) => (o.event ? [o.event] : [])), unknown, normalizer: n };
}

describe('event registry', () => {
  it('loads the shipped registry with every standard and vendor topic', () => {
    expect(registry.size).toBeGreaterThanOrEqual(17);
  });

  it('maps CellMotionDetector with prefix tns1 to motion active then cleared, same key, times in gateway time', () => {
    const { events } = run('pull-tns1-cell-motion.xml');
    expect(events.map((e) => [e.type, e.state, e.key, e.severity])).toEqual([
      ['motion', 'active', 'cam-1:motion:1:MyMotionDetectorRule', 'info'],
      ['motion', 'cleared', 'cam-1:motion:1:MyMotionDetectorRule', 'info'],
    ]);
    expect(events[0]!.ts).toBe(Date.parse('2026-11-27T00:59:58.500Z') - 1000);
    expect(events[0]!.topic).toBe('tns1:RuleEngine/CellMotionDetector/Motion');
  });

  it('resolves prefixes ns2/onvif declared on the Topic element, and channels from source tokens', () => {
    const { events } = run('pull-ns2-line-and-field.xml', { multiChannel: true, tokens: { VSC_2: 2 } });
    expect(events.map((e) => [e.type, e.state, e.channel, e.key])).toEqual([
      ['line.crossed', 'pulse', 2, 'cam-1:line.crossed:2:NorthGate'],
      ['intrusion', 'active', 2, 'cam-1:intrusion:2:Lawn'],
    ]);
    expect(events[0]!.data).toMatchObject({ ObjectId: '17', Rule: 'NorthGate' });
  });

  it('turns CountAggregation counters into people.count / crowd.density events and readings', () => {
    const { outs, events } = run('pull-counters.xml');
    expect(events.map((e) => e.type)).toEqual(['people.count', 'crowd.density']);
    expect(outs.flatMap((o) => o.samples).map((s) => [s.point, s.raw])).toEqual([
      ['people.in', 12],
      ['people.out', 5],
      ['people.count', 7],
      ['people.occupancy', 341],
    ]);
  });

  it('prefixes reading points with the channel on an NVR', () => {
    const { outs } = run('pull-counters.xml', { multiChannel: true, tokens: { VSC_1: 3 } });
    expect(outs[0]!.samples[0]!.point).toBe('ch3/people.in');
  });

  it('maps vendor topics, sends unknown ones as vendor.*, and never matches a tns1 prefix bound to another namespace', () => {
    const { events, unknown, outs } = run('pull-vendor.xml');
    expect(events.map((e) => [e.type, e.state])).toEqual([
      ['vehicle.illegal_parking', 'active'],
      ['fireworks', 'pulse'],
      ['vendor.rule_engine.cell_motion_detector.motion', 'active'],
      ['vendor.camera_application_platform.heat_map.updated', 'pulse'],
    ]);
    expect(events[0]!.key).toBe('cam-1:vehicle.illegal_parking:1:Camera1Profile2:veh-9');
    expect(outs[1]!.wantsSnapshot).toBe(true);
    expect(unknown).toEqual(['{http://example.com/not-onvif}RuleEngine/CellMotionDetector/Motion', 'tnsaxis:CameraApplicationPlatform/HeatMap/Updated']);
  });

  it('maps Axis VMD 4, Fence Guard, Loitering Guard, Object Analytics, Cross Line Detection and tampering', () => {
    const { events, outs, unknown } = run('pull-axis-analytics.xml');
    expect(unknown).toEqual([]);
    expect(events.map((e) => [e.type, e.state, e.key])).toEqual([
      ['motion', 'active', 'cam-1:motion:1:Camera1ProfileANY'],
      ['intrusion', 'active', 'cam-1:intrusion:1:Camera1Profile1'],
      ['loitering', 'active', 'cam-1:loitering:1:Camera1Profile1'],
      ['intrusion', 'active', 'cam-1:intrusion:1:Device1Scenario1'],
      ['line.crossed', 'active', 'cam-1:line.crossed:1:Camera1Profile1'],
      ['line.crossed', 'cleared', 'cam-1:line.crossed:1:Camera1Profile1'],
      ['line.crossed', 'active', 'cam-1:line.crossed:1:Camera1Profile1'],
      ['camera.tamper', 'active', 'cam-1:camera.tamper:1'],
    ]);
    // Each rising edge of Cross Line Detection is one crossing; the Initialized 0 is none.
    expect(outs.flatMap((o) => o.samples).map((s) => [s.point, s.raw])).toEqual([
      ['line.crossings/Camera1Profile1', 1],
      ['line.crossings/Camera1Profile1', 2],
    ]);
  });

  it('maps Hikvision line crossing, intrusion and its IllegalAccess alarm', () => {
    const { events, outs, unknown } = run('pull-hikvision-line-field.xml', { tokens: { VideoSourceToken: 1 } });
    expect(unknown).toEqual([]);
    expect(events.map((e) => [e.type, e.state, e.channel, e.key])).toEqual([
      ['line.crossed', 'pulse', 1, 'cam-1:line.crossed:1:MyLineDetector1'],
      ['line.crossed', 'pulse', 1, 'cam-1:line.crossed:1:MyLineDetector1'],
      ['intrusion', 'active', 1, 'cam-1:intrusion:1:MyFieldDetector1'],
      ['vendor.hikvision.illegal_access', 'pulse', 1, 'cam-1:vendor.hikvision.illegal_access:1'],
    ]);
    expect(events.slice(0, 2).map((e) => e.data?.objectId)).toEqual(['312', '313']);
    expect(outs.flatMap((o) => o.samples).map((s) => [s.point, s.raw])).toEqual([
      ['line.crossings/MyLineDetector1', 1],
      ['line.crossings/MyLineDetector1', 2],
    ]);
  });

  it('maps Dahua IVS tripwire and intrusion on an NVR channel', () => {
    const { events, outs } = run('pull-dahua-ivs.xml', { multiChannel: true, tokens: { VSC_3: 3 } });
    expect(events.map((e) => [e.type, e.state, e.channel, e.key])).toEqual([
      ['line.crossed', 'pulse', 3, 'cam-1:line.crossed:3:Rule 1'],
      ['intrusion', 'active', 3, 'cam-1:intrusion:3:Rule 2'],
    ]);
    expect(outs[0]!.samples.map((s) => s.point)).toEqual(['ch3/line.crossings/Rule_1']);
  });

  it('maps tamper, signal loss and scene change; an Initialized false is not a cleared nobody saw begin', () => {
    const { events } = run('pull-tamper-videoloss.xml');
    expect(events.map((e) => [e.type, e.state, e.severity])).toEqual([
      ['camera.video_loss', 'active', 'major'],
      ['camera.tamper', 'active', 'major'],
    ]);
  });

  it('resolves a topic whose segments are in two namespaces; an unknown property with one boolean item keeps active/cleared', () => {
    const { events, unknown } = run('pull-mixed-namespace-topic.xml');
    expect(events.map((e) => [e.type, e.state])).toEqual([
      ['vendor.device.sensor.pir', 'active'],
      ['motion', 'active'],
    ]);
    expect(unknown).toEqual(['tns1:Device/{http://www.example-vendor.test/2019/event/topics}Sensor/PIR']);
  });

  it('rejects an invalid registry with E_ONVIF_REGISTRY and a readable message', () => {
    expect(() => EventRegistry.fromObject({ version: 1, namespaces: {}, rules: [{ topic: 'x:Foo', type: 'motion', state: 'pulse' }] })).toThrow(
      /needs a declared prefix/,
    );
    expect(() => EventRegistry.fromObject({ version: 1, namespaces: { a: 'urn:a' }, rules: [{ topic: 'a:Foo', type: 'Bad Type', state: 'pulse' }] })).toThrow(
      expect.objectContaining({ code: 'E_ONVIF_REGISTRY' }),
    );
  });
});

describe('people-counting profile', () => {
  it('is a valid onvif profile', async () => {
    const { parse } = await import('yaml');
    const { onvifProfileSchema } = await import('../../drivers/onvif/schema.js');
    const doc = parse(readFileSync(new URL('../../config/profiles/onvif-people-counting.yaml', import.meta.url), 'utf8'));
    expect(onvifProfileSchema.parse(doc).points.map((p) => p.name)).toEqual([
      'people.in',
      'people.out',
      'people.count',
      'people.occupancy',
      'crowd.density',
      'line.crossings',
    ]);
  });
});
