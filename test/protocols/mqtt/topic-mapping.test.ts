import { describe, expect, test } from 'vitest';
import { coreToMqttName, filterMatches, mqttToCoreName, parseTopicFilter, topicNameProblem } from '../../../protocols/mqtt/topic-mapping.js';

describe('MQTT ↔ core names (ActiveMQ swap rule)', () => {
  test.each([
    ['sensors/room-1/temp', 'sensors.room-1.temp'],
    ['sensors/+/temp', 'sensors.*.temp'],
    ['sensors/#', 'sensors.>'],
    ['#', '>'],
    ['spBv1.0/plant', 'spBv1/0.plant'],
    ['a/*/b', 'a.+.b'],
    ['a/>', 'a.#'],
    ['/leading//empty/', '.leading..empty.'],
    ['$SYS/broker', '$SYS.broker'],
  ])('%s ↔ %s', (mqtt, core) => {
    expect(mqttToCoreName(mqtt)).toBe(core);
    expect(coreToMqttName(core)).toBe(mqtt);
  });

  test('every string survives the round trip', () => {
    const alphabet = ['a', '/', '.', '+', '*', '#', '>', '$', 'é', ' '];
    for (let i = 0; i < 2000; i++) {
      let s = '';
      for (let j = 0; j < 1 + (i % 9); j++) s += alphabet[(i * 7 + j * 13 + (i >> 3)) % alphabet.length];
      expect(coreToMqttName(mqttToCoreName(s))).toBe(s);
    }
  });
});

describe('topic names and filters', () => {
  test('topic names: no wildcards, not empty, bounded levels', () => {
    expect(topicNameProblem('a/b', 8)).toBeUndefined();
    expect(topicNameProblem('', 8)).toMatch(/empty/);
    expect(topicNameProblem('a/+/b', 8)).toMatch(/wildcard/);
    expect(topicNameProblem('a/#', 8)).toMatch(/wildcard/);
    expect(topicNameProblem('a/b#', 8)).toMatch(/wildcard/);
    expect(topicNameProblem('a/'.repeat(8) + 'x', 8)).toMatch(/levels/);
  });

  test('filters: wildcard placement, shared subscriptions', () => {
    expect(parseTopicFilter('a/+/#', 8)).toMatchObject({ filter: 'a/+/#', levels: ['a', '+', '#'] });
    expect(parseTopicFilter('a/#/b', 8)).toMatch(/#/);
    expect(parseTopicFilter('a/b#', 8)).toMatch(/#/);
    expect(parseTopicFilter('a/b+', 8)).toMatch(/\+/);
    expect(parseTopicFilter('', 8)).toMatch(/empty/);
    expect(parseTopicFilter('$share/g1/a/+', 8)).toMatchObject({ raw: '$share/g1/a/+', filter: 'a/+', sharedGroup: 'g1' });
    expect(parseTopicFilter('$share/g1', 8)).toMatch(/group and a filter/);
    expect(parseTopicFilter('$share//a', 8)).toMatch(/group and a filter/);
    expect(parseTopicFilter('$share/g1/', 8)).toMatch(/filter/);
    expect(parseTopicFilter('$share/g+/a', 8)).toMatch(/share name/);
    expect(parseTopicFilter('+/'.repeat(9) + '#', 8)).toMatch(/levels/);
  });

  test('matching, with the $ rule', () => {
    const m = (f: string, t: string): boolean => filterMatches(f.split('/'), t.split('/'));
    expect(m('a/+/c', 'a/b/c')).toBe(true);
    expect(m('a/+/c', 'a/b/d')).toBe(false);
    expect(m('a/#', 'a')).toBe(true);
    expect(m('a/#', 'a/b/c')).toBe(true);
    expect(m('#', '$SYS/x')).toBe(false);
    expect(m('+/x', '$SYS/x')).toBe(false);
    expect(m('$SYS/#', '$SYS/x')).toBe(true);
    expect(m('a/b', 'a/b/c')).toBe(false);
    expect(m('a/+', 'a')).toBe(false);
  });
});
