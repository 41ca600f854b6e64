import { describe, expect, it } from 'vitest';
import { LastValues, MetricCatalog, NODE_SCOPE, typeOf } from '../../gateway/uplink/sparkplug/metric-catalog.js';
import { SparkplugTopics } from '../../gateway/uplink/sparkplug/sparkplug-topics.js';

describe('Sparkplug metric catalog and topics (pure)', () => {
  it('numbers aliases uniquely across the node, also when a device is born again ([tck-id-payloads-alias-uniqueness])', () => {
    const c = new MetricCatalog();
    const node = c.declare(NODE_SCOPE, [
      ['bdSeq', 'Int64'],
      ['Node Control/Rebirth', 'Boolean'],
    ]);
    const d1 = c.declare('d1', [
      ['t', 'Double'],
      ['t', 'Double'],
      ['s', 'String'],
    ]);
    const d1again = c.declare('d1', [
      ['t', 'Double'],
      ['s', 'String'],
      ['new', 'Boolean'],
    ]);
    const all = [...node, ...d1again].map((d) => d.alias);
    expect(new Set(all).size).toBe(all.length);
    expect(d1).toHaveLength(2);
    expect(c.byAliasIn('d1', d1[0]!.alias)).toBeUndefined();
    expect(c.byAliasIn('d1', d1again[2]!.alias)?.name).toBe('new');
    expect(c.byAliasIn(NODE_SCOPE, d1again[2]!.alias)).toBeUndefined();
  });

  it('knows when a value needs a new birth (new name or other type); null fits any type', () => {
    const c = new MetricCatalog();
    c.declare('d', [
      ['x', 'Double'],
      ['b', 'Boolean'],
    ]);
    expect(c.fits('d', 'x', 1.5)).toBe(true);
    expect(c.fits('d', 'x', null)).toBe(true);
    expect(c.fits('d', 'x', 'text')).toBe(false);
    expect(c.fits('d', 'b', true)).toBe(true);
    expect(c.fits('d', 'y', 1)).toBe(false);
    expect([typeOf(1), typeOf(true), typeOf('a'), typeOf(null)]).toEqual(['Double', 'Boolean', 'String', undefined]);
  });

  it('keeps the newest value of each metric, not the last one to arrive', () => {
    const v = new LastValues();
    v.set('d', 'x', 2, 200);
    v.set('d', 'x', 1, 100);
    expect(v.get('d', 'x')).toEqual({ value: 2, ms: 200 });
  });

  it('builds and parses topics; refuses what is not this node’s command topic', () => {
    const t = new SparkplugTopics('g', 'n');
    expect(t.nodeTopic('NBIRTH')).toBe('spBv1.0/g/NBIRTH/n');
    expect(t.deviceTopic('DDATA', 'dev.1')).toBe('spBv1.0/g/DDATA/n/dev.1');
    expect(SparkplugTopics.state('scada')).toBe('spBv1.0/STATE/scada');
    expect(t.parseCommand('spBv1.0/g/NCMD/n')).toEqual({ kind: 'node' });
    expect(t.parseCommand('spBv1.0/g/DCMD/n/dev.1')).toEqual({ kind: 'device', device: 'dev.1' });
    expect(t.parseCommand('spBv1.0/g/DCMD/n/a/b')).toBeUndefined();
    expect(t.parseCommand('spBv1.0/g/DCMD/other/dev')).toBeUndefined();
    expect(t.parseCommand('spBv1.0/g/DCMD/n/')).toBeUndefined();
  });
});
