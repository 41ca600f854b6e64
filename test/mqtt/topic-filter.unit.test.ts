import { describe, expect, it } from 'vitest';
import { checkTopicId, checkTopicPattern, expandPattern, filterCovers, topicMatches } from '../../drivers/mqtt/topic-filter.js';
import { TopicRouter } from '../../drivers/mqtt/topic-router.js';

describe('topic filters', () => {
  it('match as MQTT 3.1.1 section 4.7 says', () => {
    expect(topicMatches('sensors/+/data', 'sensors/env-07/data')).toBe(true);
    expect(topicMatches('sensors/+/data', 'sensors/env-07/x/data')).toBe(false);
    expect(topicMatches('sensors/#', 'sensors')).toBe(true);
    expect(topicMatches('sensors/#', 'sensors/a/b/c')).toBe(true);
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(topicMatches('a/b', 'a/b')).toBe(true);
    expect(topicMatches('a/b', 'a/b/')).toBe(false);
  });

  it('expand {device} to the topic id and check patterns', () => {
    expect(expandPattern('xovis/{device}/live', '80-1F')).toBe('xovis/80-1F/live');
    expect(checkTopicPattern('sensors/{device}/#')).toBeUndefined();
    expect(checkTopicPattern('sensors/#/data')).toMatch(/# must be the whole last level/);
    expect(checkTopicPattern('sensors/a+/data')).toMatch(/\+ must be a whole level/);
    expect(checkTopicPattern('sensors/{id}/data')).toMatch(/only placeholder/);
    expect(checkTopicPattern('$SYS/x')).toMatch(/reserved/);
    expect(checkTopicId('env/07')).toMatch(/must not contain/);
  });

  it('tell whether one filter covers another (subscription ACLs)', () => {
    expect(filterCovers('config/env-07/#', 'config/env-07/set')).toBe(true);
    expect(filterCovers('config/env-07/#', 'config/#')).toBe(false);
    expect(filterCovers('config/+/set', 'config/env-07/set')).toBe(true);
    expect(filterCovers('config/env-07/set', '#')).toBe(false);
  });

  it('route topics to subscribers through exact and wildcard filters', () => {
    const r = new TopicRouter<string>();
    expect(r.add('a/b', 'x')).toBe(true);
    expect(r.add('a/b', 'y')).toBe(false);
    r.add('a/+', 'z');
    expect(r.match('a/b').sort()).toEqual(['x', 'y', 'z']);
    expect(r.match('a/c')).toEqual(['z']);
    expect(r.remove('z')).toEqual(['a/+']);
    expect(r.remove('x')).toEqual([]);
    expect(r.remove('y')).toEqual(['a/b']);
    expect(r.size).toBe(0);
  });
});
