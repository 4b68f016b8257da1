import { describe, expect, it } from 'vitest';
import { compileSelector } from '../../../src/core/selector/index.js';
import type { CoreMessage, Properties } from '../../../src/spi/index.js';

type Outcome = 'T' | 'F' | 'U';

function message(overrides: Partial<CoreMessage> = {}): CoreMessage {
  return {
    messageId: 'ID:broker-1:1',
    address: { name: 'orders', routing: 'anycast' },
    body: new Uint8Array(),
    bodyType: 'empty',
    properties: {},
    persistent: true,
    priority: 4,
    expiration: 0,
    timestamp: 1_700_000_000_000,
    ...overrides,
  };
}

/**
 * The selector's three-valued outcome: TRUE selects it; FALSE selects `NOT (it)`; unknown
 * selects neither.
 */
function outcome(selector: string, properties: Properties = {}, overrides: Partial<CoreMessage> = {}, deliveryCount = 1): Outcome {
  const subject = { message: message({ ...overrides, properties }), deliveryCount };
  const selected = compileSelector(selector)(subject);
  const negated = compileSelector(`NOT (${selector}\n)`)(subject); // \n ends a -- comment
  expect(selected && negated).toBe(false);
  return selected ? 'T' : negated ? 'F' : 'U';
}

const props: Properties = {
  i: 5,
  d: 2.5,
  s: 'abc',
  t: true,
  f: false,
  big: 10n,
  zeroBig: 0n,
  three: 3n,
  numStr: '5',
  nul: null,
  bytes: new Uint8Array([1, 2]),
};

function table(rows: [string, Outcome][], properties: Properties = props): void {
  it.each(rows)('%s → %s', (selector, expected) => {
    expect(outcome(selector, properties)).toBe(expected);
  });
}

describe('empty selectors', () => {
  it.each(['', '   ', '\t\r\n\f'])('%j matches everything', (text) => {
    expect(compileSelector(text)({ message: message(), deliveryCount: 1 })).toBe(true);
  });
});

describe('literals', () => {
  table([
    ['57 = 57', 'T'],
    ['-957 = 0 - 957', 'T'],
    ['+62 = 62', 'T'],
    ['10L = 10', 'T'],
    ['10l = 10', 'T'],
    ['0x1F = 31', 'T'],
    ['0X1f = 31', 'T'],
    ['0x10L = 16', 'T'],
    ['017 = 15', 'T'],
    ['0 = 0', 'T'],
    ['00 = 0', 'T'],
    ['017L = 15', 'T'],
    ['1.5 = 1.5', 'T'],
    ['7. = 7', 'T'],
    ['.5 = 0.5', 'T'],
    ['00.5 = 0.5', 'T'],
    ['7E3 = 7000', 'T'],
    ['-57.9E2 = -5790', 'T'],
    ['1e-2 = 0.01', 'T'],
    ['1E+3 = 1000', 'T'],
    ['1.5F = 1.5', 'T'],
    ['1.5f = 1.5', 'T'],
    ['2D = 2', 'T'],
    ['2.5d = 2.5', 'T'],
    ['.5e1 = 5', 'T'],
    ['9223372036854775807 = 9223372036854775807', 'T'],
    ['9223372036854775807 > 9223372036854775806', 'T'],
    ['-9223372036854775808 < -9223372036854775807', 'T'],
    ['0x7FFFFFFFFFFFFFFF = 9223372036854775807', 'T'],
    // Exact literals beyond 2^53 stay exact.
    ['9007199254740993 = 9007199254740992', 'F'],
    ['9007199254740993 > 9007199254740992', 'T'],
    ['TRUE', 'T'],
    ['FALSE', 'F'],
    ['true', 'T'],
    ['TrUe = tRuE', 'T'],
    ["'abc' = 'abc'", 'T'],
    ["'a' = 'A'", 'F'],
    ["'' = ''", 'T'],
  ]);

  it('reads quotes, unicode and whitespace inside string literals', () => {
    expect(outcome("q = 'it''s'", { q: "it's" })).toBe('T');
    expect(outcome("q = ''''", { q: "'" })).toBe('T');
    expect(outcome("q = '日本 語'", { q: '日本 語' })).toBe('T');
    expect(outcome("q = 'a\nb'", { q: 'a\nb' })).toBe('T');
  });
});

describe('identifiers', () => {
  table([
    ["s = 'abc'", 'T'],
    ['i = 5', 'T'],
    ['t = TRUE', 'T'],
    ['big = 10', 'T'],
    ['missing = 1', 'U'],
    ['missing IS NULL', 'T'],
    ['nul IS NULL', 'T'],
    ['bytes IS NULL', 'T'],
    ['bytes = 1', 'U'],
    ["S = 'abc'", 'U'], // case-sensitive
    ['constructor IS NULL', 'T'],
    ['toString IS NULL', 'T'],
    ['__proto__ IS NULL', 'T'],
    ['hasOwnProperty IS NULL', 'T'],
  ]);

  it('accepts Java identifier characters and keyword-like prefixes', () => {
    expect(outcome('$a_1 = 1', { $a_1: 1 })).toBe('T');
    expect(outcome('_x = 1', { _x: 1 })).toBe('T');
    expect(outcome('größe = 1', { größe: 1 })).toBe('T');
    expect(outcome("ANDROID = 'x' AND inside = 'y' AND Notify = 'z'", { ANDROID: 'x', inside: 'y', Notify: 'z' })).toBe('T');
    // A non-ASCII word that upper-cases to a keyword is still an identifier.
    expect(outcome('ın = 1', { ın: 1 })).toBe('T');
  });
});

describe('JMS headers', () => {
  const rows: [string, Partial<CoreMessage>, number, Outcome][] = [
    ["JMSDeliveryMode = 'PERSISTENT'", { persistent: true }, 1, 'T'],
    ["JMSDeliveryMode = 'NON_PERSISTENT'", { persistent: false }, 1, 'T'],
    ["JMSDeliveryMode = 'PERSISTENT'", { persistent: false }, 1, 'F'],
    ['JMSPriority = 7', { priority: 7 }, 1, 'T'],
    ['JMSPriority > 4', { priority: 4 }, 1, 'F'],
    ["JMSMessageID = 'ID:abc'", { messageId: 'ID:abc' }, 1, 'T'],
    ['JMSTimestamp = 1700000000000', {}, 1, 'T'],
    ["JMSCorrelationID = 'c1'", { correlationId: 'c1' }, 1, 'T'],
    ['JMSCorrelationID IS NULL', {}, 1, 'T'],
    ["JMSCorrelationID = 'c1'", {}, 1, 'U'],
    ["JMSType = 'order'", { type: 'order' }, 1, 'T'],
    ['JMSType IS NULL', {}, 1, 'T'],
    ['JMSExpiration = 0', {}, 1, 'T'],
    ['JMSExpiration > 0', { expiration: 5 }, 1, 'T'],
    ['JMSRedelivered', {}, 1, 'F'],
    ['JMSRedelivered', {}, 2, 'T'],
    ['JMSRedelivered = TRUE', {}, 3, 'T'],
    ["JMSXGroupID = 'g'", { groupId: 'g' }, 1, 'T'],
    ['JMSXGroupID IS NULL', {}, 1, 'T'],
    ['JMSXGroupSeq = 3', { groupSeq: 3 }, 1, 'T'],
    ['JMSXGroupSeq IS NULL', {}, 1, 'T'],
    ['JMSXDeliveryCount = 3', {}, 3, 'T'],
    ["JMSXUserID = 'alice'", { userId: 'alice' }, 1, 'T'],
    ['JMSXUserID IS NULL', {}, 1, 'T'],
    ["JMSDestination = 'orders'", {}, 1, 'T'],
    ["JMSDestination LIKE 'ord%'", {}, 1, 'T'],
  ];
  it.each(rows)('%s with %j, delivery %i → %s', (selector, overrides, deliveryCount, expected) => {
    expect(outcome(selector, {}, overrides, deliveryCount)).toBe(expected);
  });

  it('reads headers from the message fields, not from same-named properties', () => {
    expect(outcome('JMSPriority = 4', { JMSPriority: 9 })).toBe('T');
  });

  it('matches header names case-sensitively', () => {
    expect(outcome('jmspriority = 4', {})).toBe('U');
    expect(outcome('jmspriority = 9', { jmspriority: 9 })).toBe('T');
  });
});

describe('comparison operators', () => {
  table([
    ['i = 5', 'T'],
    ['i = 6', 'F'],
    ['i <> 5', 'F'],
    ['i <> 6', 'T'],
    ['i < 6', 'T'],
    ['i < 5', 'F'],
    ['i <= 5', 'T'],
    ['i <= 4', 'F'],
    ['i > 4', 'T'],
    ['i > 5', 'F'],
    ['i >= 5', 'T'],
    ['i >= 6', 'F'],
    ['5 = i', 'T'],
    ['d = 2.5', 'T'],
    ['i > d', 'T'],
    ['i = 5.0', 'T'],
    ['big = 10', 'T'],
    ['big = 10.0', 'T'],
    ['big = 10.5', 'F'],
    ['big > 9.5', 'T'],
    ['big < i', 'F'],
    ['big <> 10', 'F'],
    ['big >= i * 2', 'T'],
    ["s = 'abc'", 'T'],
    ["s <> 'abc'", 'F'],
    ["s <> 'x'", 'T'],
    ['t = TRUE', 'T'],
    ['t <> FALSE', 'T'],
    ['t = FALSE', 'F'],
    ['t = f', 'F'],
    ['t <> f', 'T'],
    // Unlike types are FALSE under every operator, with no coercion of numeric strings.
    ['s = 5', 'F'],
    ['s <> 5', 'F'],
    ["i = '5'", 'F'],
    ["i <> '5'", 'F'],
    ['numStr = 5', 'F'],
    ['numStr <> 5', 'F'],
    ['numStr > 4', 'F'],
    ['t = 1', 'F'],
    ['i = TRUE', 'F'],
    ['t > i', 'F'],
    // Strings and booleans have no ordering.
    ['s > numStr', 'F'],
    ['s < numStr', 'F'],
    ['t > f', 'F'],
    // NULL makes every comparison unknown.
    ['missing = 1', 'U'],
    ['missing <> 1', 'U'],
    ['missing < 1', 'U'],
    ['missing > 1', 'U'],
    ['missing <= 1', 'U'],
    ['missing >= 1', 'U'],
    ['1 = missing', 'U'],
    ["missing = 'x'", 'U'],
    ['missing = TRUE', 'U'],
    ['missing = missing', 'U'],
    ['nul = 1', 'U'],
  ]);
});

describe('arithmetic', () => {
  table([
    ['1 + 2 = 3', 'T'],
    ['5 - 7 = -2', 'T'],
    ['2 * 3 = 6', 'T'],
    ['7 / 2 = 3.5', 'T'],
    ['7 % 3 = 1', 'T'],
    ['-i = -5', 'T'],
    ['+i = 5', 'T'],
    ['- -i = 5', 'T'],
    ['-(-(i)) = 5', 'T'],
    ['i * 2 + 1 = 11', 'T'],
    ['1 + i * 2 = 11', 'T'],
    ['(1 + i) * 2 = 12', 'T'],
    ['10 - 2 - 3 = 5', 'T'],
    ['12 / 2 / 3 = 2', 'T'],
    ['10 / 5 * 2 = 4', 'T'],
    ['7 % 4 * 2 = 6', 'T'],
    ['-2 * -3 = 6', 'T'],
    ['1 - -1 = 2', 'T'],
    ['i / 0 > 1000000', 'T'],
    ['d * 2 = i', 'T'],
    // bigint with bigint stays exact integer arithmetic; mixed goes to double.
    ['big * big = 100', 'T'],
    ['big / three = 3', 'T'],
    ['big % three = 1', 'T'],
    ['big / 4 = 2.5', 'T'],
    ['-big = -10', 'T'],
    ['big + 0.5 = 10.5', 'T'],
    ['big + i = 15', 'T'],
    ['big / zeroBig IS NULL', 'T'],
    ['big % zeroBig IS NULL', 'T'],
    ['9223372036854775807 + 1 = 9223372036854775808', 'T'],
    // NULL and non-numeric operands give NULL.
    ['missing + 1 IS NULL', 'T'],
    ['missing + 1 = 1', 'U'],
    ['1 + missing * 2 > 0', 'U'],
    ['s + 1 IS NULL', 'T'],
    ['t + 1 IS NULL', 'T'],
    ['-s IS NULL', 'T'],
    ['+s IS NULL', 'T'],
    ['-missing IS NULL', 'T'],
  ]);
});

describe('three-valued logic', () => {
  const values: Record<Outcome, string> = { T: 't', F: 'f', U: 'missing' };
  const andTable: Record<string, Outcome> = {
    TT: 'T', TF: 'F', TU: 'U', FT: 'F', FF: 'F', FU: 'F', UT: 'U', UF: 'F', UU: 'U',
  };
  const orTable: Record<string, Outcome> = {
    TT: 'T', TF: 'T', TU: 'T', FT: 'T', FF: 'F', FU: 'U', UT: 'T', UF: 'U', UU: 'U',
  };
  const pairs = Object.keys(andTable).map((k) => [k[0] as Outcome, k[1] as Outcome] as const);

  it.each(pairs)('%s AND %s', (a, b) => {
    expect(outcome(`${values[a]} AND ${values[b]}`, props)).toBe(andTable[a + b]);
  });
  it.each(pairs)('%s OR %s', (a, b) => {
    expect(outcome(`${values[a]} OR ${values[b]}`, props)).toBe(orTable[a + b]);
  });
  it.each([['T', 'F'], ['F', 'T'], ['U', 'U']] as const)('NOT %s → %s', (a, expected) => {
    expect(outcome(`NOT ${values[a]}`, props)).toBe(expected);
  });

  table([
    // Unknown from comparisons behaves the same.
    ['i = 5 AND missing > 1', 'U'],
    ['i = 6 AND missing > 1', 'F'],
    ['i = 5 OR missing > 1', 'T'],
    ['i = 6 OR missing > 1', 'U'],
    // Longer chains.
    ['t AND t AND missing', 'U'],
    ['f AND missing AND t', 'F'],
    ['missing OR f OR t', 'T'],
    ['missing OR f OR f', 'U'],
    ['t AND t AND t AND t', 'T'],
    // An identifier used as a condition: booleans as they are, other values FALSE, NULL unknown.
    ['t', 'T'],
    ['f', 'F'],
    ['missing', 'U'],
    ['s', 'F'],
    ['i', 'F'],
    ['(t)', 'T'],
  ]);
});

describe('BETWEEN', () => {
  table([
    ['i BETWEEN 1 AND 10', 'T'],
    ['i BETWEEN 5 AND 5', 'T'],
    ['i BETWEEN 6 AND 10', 'F'],
    ['i BETWEEN 10 AND 1', 'F'],
    ['i NOT BETWEEN 6 AND 10', 'T'],
    ['i NOT BETWEEN 1 AND 10', 'F'],
    ['i not between 5 and 5', 'F'],
    ['d BETWEEN 2.5 AND 3', 'T'],
    ['big BETWEEN 9.5 AND 10.5', 'T'],
    ['i + 1 BETWEEN 2 * 3 AND 7', 'T'],
    ['missing BETWEEN 1 AND 10', 'U'],
    ['missing NOT BETWEEN 1 AND 10', 'U'],
    ['i BETWEEN missing AND 10', 'U'],
    ['i BETWEEN missing AND 4', 'F'],
    ['i NOT BETWEEN missing AND 4', 'T'],
    ['i NOT BETWEEN missing AND 10', 'U'],
    ['s BETWEEN 1 AND 10', 'F'],
    ['s NOT BETWEEN 1 AND 10', 'F'],
    ['numStr BETWEEN 1 AND 10', 'F'],
    // The AND inside BETWEEN binds first.
    ['i BETWEEN 1 AND 10 AND t', 'T'],
    ['i BETWEEN 1 AND 10 AND f', 'F'],
  ]);
});

describe('LIKE', () => {
  const likeProps: Properties = {
    s: 'abc',
    pct: '100%',
    pct2: '1000',
    und: 'a_b',
    und2: 'axb',
    bang: 'a!b',
    dot: 'a.c',
    re: String.raw`a+b*(c)?[d]{e}|^$\/-:=!<>`,
    nl: 'a\nb',
    emoji: '😀x',
    abab: 'abab',
    aab: 'aab',
    ab: 'ab',
    i: 5,
    multi: 'x'.repeat(3) + 'line\nline',
  };
  table([
    ["s LIKE 'abc'", 'T'],
    ["s LIKE 'ab'", 'F'],
    ["s LIKE 'abcd'", 'F'],
    ["s LIKE 'a%'", 'T'],
    ["s LIKE '%c'", 'T'],
    ["s LIKE '%b%'", 'T'],
    ["s LIKE '%x%'", 'F'],
    ["s LIKE 'a_c'", 'T'],
    ["s LIKE '_'", 'F'],
    ["s LIKE '___'", 'T'],
    ["s LIKE '____'", 'F'],
    ["s LIKE '%'", 'T'],
    ["s LIKE '%%'", 'T'],
    ["s LIKE 'a%%c'", 'T'],
    ["s LIKE 'A%'", 'F'],
    ["s like 'a%'", 'T'],
    ["s NOT LIKE 'a%'", 'F'],
    ["s NOT LIKE 'x%'", 'T'],
    ["s LIKE '%a%b%c%'", 'T'],
    ["s LIKE 'a%b%c'", 'T'],
    ["s LIKE 'a%c%b'", 'F'],
    ["s LIKE '_%_'", 'T'],
    ["abab LIKE '%ab%ab'", 'T'],
    ["abab LIKE '%ab%ab%ab'", 'F'],
    ["aab LIKE 'a%ab'", 'T'],
    ["ab LIKE 'a%b%b'", 'F'],
    ["ab LIKE 'ab%b'", 'F'],
    ["ab LIKE 'a%a'", 'F'],
    // ESCAPE makes %, _ and itself literal; before anything else it is an ordinary character.
    ["pct LIKE '100!%' ESCAPE '!'", 'T'],
    ["pct2 LIKE '100!%' ESCAPE '!'", 'F'],
    ["pct LIKE '%!%' ESCAPE '!'", 'T'],
    ["und LIKE 'a!_b' ESCAPE '!'", 'T'],
    ["und2 LIKE 'a!_b' ESCAPE '!'", 'F'],
    ["und2 LIKE 'a_b' ESCAPE '!'", 'T'],
    ["bang LIKE 'a!!b' ESCAPE '!'", 'T'],
    ["bang LIKE 'a!b' ESCAPE '!'", 'T'],
    ["s LIKE 'a!bc' ESCAPE '!'", 'F'],
    [String.raw`pct LIKE '100\%' ESCAPE '\'`, 'T'],
    ["pct LIKE '100''%' ESCAPE ''''", 'T'],
    ["pct LIKE '100%' ESCAPE '!'", 'T'],
    // RegExp metacharacters are literal.
    ["dot LIKE 'a.c'", 'T'],
    ["s LIKE 'a.c'", 'F'],
    ["s LIKE '.*'", 'F'],
    ["s LIKE '[a]bc'", 'F'],
    [String.raw`re LIKE 'a+b*(c)?[d]{e}|^$\/-:=!<>'`, 'T'],
    [String.raw`re LIKE 'a+b*%|^$\/-:=!<>'`, 'T'],
    // _ and % cross newlines; _ is one code point.
    ["nl LIKE 'a_b'", 'T'],
    ["nl LIKE 'a%'", 'T'],
    ["multi LIKE '%line%line'", 'T'],
    ["emoji LIKE '_x'", 'T'],
    ["emoji LIKE '__x'", 'F'],
    // NULL is unknown; a non-string is FALSE.
    ["missing LIKE 'a%'", 'U'],
    ["missing NOT LIKE 'a%'", 'U'],
    ["i LIKE '5'", 'F'],
    ["i NOT LIKE '5'", 'F'],
    // A string literal may stand on the left.
    ["'abc' LIKE 'a%'", 'T'],
  ], likeProps);
});

describe('IN', () => {
  const many = Array.from({ length: 50 }, (_, n) => `'v${n}'`).join(', ');
  table([
    ["s IN ('a', 'abc')", 'T'],
    ["s IN ('abc')", 'T'],
    ["s IN ('a')", 'F'],
    ["s IN ('ABC')", 'F'],
    ["s NOT IN ('a', 'c')", 'T'],
    ["s NOT IN ('abc')", 'F'],
    ["s in ('abc')", 'T'],
    ["s not in ('x','y')", 'T'],
    ["(s) IN ('abc')", 'T'],
    ["missing IN ('a')", 'U'],
    ["missing NOT IN ('a')", 'U'],
    ["i IN ('5')", 'F'],
    ["i NOT IN ('5')", 'F'],
    ["numStr IN ('5')", 'T'],
    [`s IN (${many}, 'abc')`, 'T'],
    [`s IN (${many})`, 'F'],
    ["JMSDestination IN ('orders', 'invoices')", 'T'],
  ]);

  it('reads escaped quotes in the list', () => {
    expect(outcome("q IN ('it''s')", { q: "it's" })).toBe('T');
  });
});

describe('IS NULL', () => {
  table([
    ['missing IS NULL', 'T'],
    ['missing IS NOT NULL', 'F'],
    ['s IS NULL', 'F'],
    ['s IS NOT NULL', 'T'],
    ['f IS NOT NULL', 'T'],
    ['nul IS NULL', 'T'],
    ['bytes IS NOT NULL', 'F'],
    ['missing is not null', 'F'],
    ['missing + 1 IS NULL', 'T'],
    ['(missing = 1) IS NULL', 'T'],
    ['(i = 1) IS NULL', 'F'],
    ['missing IS NULL AND s IS NOT NULL', 'T'],
  ]);
});

describe('precedence', () => {
  table([
    ['FALSE AND FALSE OR TRUE', 'T'],
    ['TRUE OR TRUE AND FALSE', 'T'],
    ['(TRUE OR TRUE) AND FALSE', 'F'],
    ['NOT FALSE AND FALSE', 'F'],
    ['NOT (FALSE AND FALSE)', 'T'],
    ['NOT TRUE OR TRUE', 'T'],
    ['NOT NOT TRUE', 'T'],
    // Comparison binds tighter than NOT.
    ['NOT i = 4', 'T'],
    ['NOT i BETWEEN 1 AND 3', 'T'],
    ["NOT s LIKE 'x%'", 'T'],
    ['NOT missing IS NULL', 'F'],
    // Arithmetic binds tighter than comparison.
    ['1 + 2 * 3 = 7', 'T'],
    ['(1 + 2) * 3 = 9', 'T'],
    ['10 - 3 + 2 = 9', 'T'],
    ['i + 1 > i', 'T'],
    ["i = 5 AND s = 'abc' OR FALSE", 'T'],
    ["i = 6 AND s = 'abc' OR t", 'T'],
    ['(i > 4) = TRUE', 'T'],
    ["(i > 4) = (s = 'abc')", 'T'],
    ['(i > 4) <> f', 'T'],
    ['((((i)))) = 5', 'T'],
  ]);
});

describe('compiled selectors', () => {
  it('are reusable across messages', () => {
    const selector = compileSelector("color = 'red' AND JMSPriority >= 5");
    const subject = (properties: Properties, priority: number) => ({ message: message({ properties, priority }), deliveryCount: 1 });
    expect(selector(subject({ color: 'red' }, 5))).toBe(true);
    expect(selector(subject({ color: 'red' }, 4))).toBe(false);
    expect(selector(subject({ color: 'blue' }, 9))).toBe(false);
    expect(selector(subject({}, 9))).toBe(false);
    expect(selector(subject({ color: 'red' }, 9))).toBe(true);
  });

  it('select only on TRUE', () => {
    const subject = { message: message(), deliveryCount: 1 };
    expect(compileSelector('missing = 1')(subject)).toBe(false);
    expect(compileSelector('NOT (missing = 1)')(subject)).toBe(false);
    expect(compileSelector('missing IS NULL')(subject)).toBe(true);
  });
});

describe('comments', () => {
  table([
    ['i = 5 -- the rest of the line is ignored', 'T'],
    ['i = 5 -- AND FALSE\n AND s IS NOT NULL', 'T'],
    ['i = /* five */ 5', 'T'],
    ['/* a\n multi-line\n comment */ i = 5 /**/', 'T'],
    ['i = 5 /* AND FALSE */ AND TRUE', 'T'],
    ["s = '-- not a comment /* either */'", 'F'],
    ['i - -1 = 6', 'T'],
  ]);

  it('leaves a selector of only comments matching everything', () => {
    expect(compileSelector('-- nothing\n/* here */')({ message: message(), deliveryCount: 1 })).toBe(true);
  });
});

describe('convert_string_expressions (ActiveMQ, for STOMP)', () => {
  const subject = (properties: Record<string, string>) => ({
    message: {
      messageId: 'id', address: { name: 'q', routing: 'anycast' as const }, body: new Uint8Array(0), bodyType: 'text' as const,
      properties, persistent: false, priority: 4, expiration: 0, timestamp: 0,
    },
    deliveryCount: 1,
  });
  it.each([
    ['count > 5', { count: '7' }, true],
    ['count > 5', { count: '3' }, false],
    ['count = 7', { count: '7' }, true],
    ['count BETWEEN 1 AND 10', { count: '7' }, true],
    ['count > 5', { count: 'seven' }, false],
    ['flag = TRUE', { flag: 'true' }, true],
    ["name = 'x'", { name: 'x' }, true],
  ])('%s with %j → %s', (text, properties, expected) => {
    expect(compileSelector(`convert_string_expressions:${text}`)(subject(properties))).toBe(expected);
  });
  it('without the prefix, strings and numbers never compare (JMS)', () => {
    expect(compileSelector('count > 5')(subject({ count: '7' }))).toBe(false);
    expect(compileSelector('count = 7')(subject({ count: '7' }))).toBe(false);
  });
});
