import { describe, expect, it } from 'vitest';
import { compileSelector } from '../../../src/core/selector/index.js';
import { BrokerError, type Properties } from '../../../src/spi/index.js';

function subject(properties: Properties = {}) {
  return {
    message: {
      messageId: 'ID:1',
      address: { name: 'q', routing: 'anycast' as const },
      body: new Uint8Array(),
      bodyType: 'empty' as const,
      properties,
      persistent: false,
      priority: 4,
      expiration: 0,
      timestamp: 0,
    },
    deliveryCount: 1,
  };
}

function compileError(text: string): BrokerError {
  try {
    compileSelector(text);
  } catch (e) {
    expect(e).toBeInstanceOf(BrokerError);
    expect((e as BrokerError).code).toBe('INVALID_SELECTOR');
    return e as BrokerError;
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 60))} to be rejected`);
}

describe('syntax errors', () => {
  // [selector, 1-based position the message must name]
  const rows: [string, number][] = [
    // Structure
    ['a >', 4],
    ['a = ', 5],
    ['= 1', 1],
    ['a = 1 b', 7],
    ['(a = 1', 7],
    ['a = 1)', 6],
    ['()', 2],
    ['a AND', 6],
    ['AND a', 1],
    ['OR a', 1],
    ['NOT', 4],
    ['a NOT b', 7],
    ['a = 1 = 2', 7],
    ['1 < 2 < 3', 7],
    ['a = NULL', 5],
    ['NULL', 1],
    ['a IS', 5],
    ['a IS NOT', 9],
    ['a IS 5', 6],
    ['a IS NULL NULL', 11],
    ['a ESCAPE', 3],
    // Lexical
    ["'abc", 1],
    ["a = 'it's'", 10],
    ['09', 1],
    ['08L = 8', 1],
    ['0x = 1', 1],
    ['0xZZ = 1', 1],
    ['1abc = 1', 1],
    ['1.5L = 1', 1],
    ['1e = 1', 1],
    ['a != 1', 3],
    ['a == 1', 4],
    ['a # 1', 3],
    ['a && b', 3],
    ['a.b = 1', 2],
    ['@x = 1', 1],
    ['a = "x"', 5],
    ['a = 1 /* open', 7],
    ['1--1', 1],
    // LIKE
    ['a LIKE 5', 8],
    ['a LIKE b', 8],
    ["a LIKE 'x' ESCAPE 'ab'", 19],
    ["a LIKE 'x' ESCAPE ''", 19],
    ["a LIKE 'x' ESCAPE", 18],
    ["5 LIKE '5'", 1],
    ["TRUE LIKE 'x'", 1],
    ["a NOT LIKE", 11],
    // IN
    ['a IN ()', 7],
    ["a IN ('x',)", 11],
    ['a IN (1, 2)', 7],
    ["a IN 'x'", 6],
    ["a IN ('x'", 10],
    ["'x' IN ('x')", 1],
    ["a + 1 IN ('x')", 1],
    // BETWEEN
    ['a BETWEEN 1', 12],
    ['a BETWEEN 1 OR 2', 13],
    ["'a' BETWEEN 1 AND 2", 1],
    ["a BETWEEN 'x' AND 'y'", 11],
    ['a BETWEEN 1 AND TRUE', 17],
    // Types the parser can see
    ["'x' > 1", 1],
    ["1 < 'x'", 5],
    ['TRUE > FALSE', 1],
    ['TRUE + 1 = 2', 1],
    ["'a' + 'b' = 'ab'", 1],
    ["-'a' = 1", 2],
    ['(a = 1) + 1 = 2', 1],
    ['(a = 1) > 0', 1],
    ['1', 1],
    ["'abc'", 1],
    ['a + 1', 1],
    ['a AND 1', 7],
    ['NOT 5', 5],
    ['1 OR a', 1],
    ['-TRUE', 2],
  ];

  it.each(rows)('%j is rejected at position %i', (selector, position) => {
    expect(compileError(selector).message).toMatch(new RegExp(`^invalid selector: .* at position ${position}$`));
  });

  it('explains what it expected', () => {
    expect(compileError('(a = 1').message).toBe("invalid selector: expected ')' but found end of selector at position 7");
    expect(compileError('a != 1').message).toContain("use '<>'");
    expect(compileError("'x' > 1").message).toContain("'>' expects a number but found a string");
    expect(compileError('1 + 2').message).toContain('the selector expects a boolean but found a number');
    expect(compileError('a NOT b').message).toContain('expected BETWEEN, LIKE or IN after NOT');
  });
});

describe('hostile input', () => {
  it('rejects selectors longer than 4096 characters before parsing', () => {
    const longest = `a = '${'x'.repeat(4096 - 6)}'`;
    expect(longest.length).toBe(4096);
    expect(compileSelector(longest)(subject({ a: 'x'.repeat(4090) }))).toBe(true);
    expect(compileError(`${longest} `).message).toContain('longer than 4096 characters');
    expect(compileError('('.repeat(10_000_000)).message).toContain('longer than 4096 characters');
  });

  it.each([
    ['parentheses', (n: number) => `${'('.repeat(n)}TRUE${')'.repeat(n)}`],
    ['NOT', (n: number) => `${'NOT '.repeat(n)}TRUE`],
    ['unary minus', (n: number) => `${'- '.repeat(n)}1 = 1`],
    ['unary plus', (n: number) => `${'+'.repeat(n)}1 = 1`],
    ['mixed', (n: number) => `${'NOT ('.repeat(n / 2)}TRUE${')'.repeat(n / 2)}`],
  ])('allows nesting %s 100 deep but not 101', (_, nest) => {
    expect(compileSelector(nest(100))(subject())).toBe(true);
    expect(compileError(nest(102)).message).toContain('deeper than 100');
  });

  it('rejects the deepest nesting that fits in 4096 characters without overflowing the stack', () => {
    expect(compileError('('.repeat(4096)).message).toContain('deeper than 100');
    expect(compileError('NOT '.repeat(1024)).message).toContain('deeper than 100');
    expect(compileError('- '.repeat(2048)).message).toContain('deeper than 100');
    expect(compileError(`${'(a = 1 OR '.repeat(400)}TRUE`).message).toContain('deeper than 100');
  });

  it('evaluates long flat chains without deep recursion', () => {
    const withA = subject({ a: 1 });
    const sum = `a${' + a'.repeat(1000)} = 1001`;
    expect(sum.length).toBeLessThanOrEqual(4096);
    expect(compileSelector(sum)(withA)).toBe(true);
    expect(compileSelector(`${'1+'.repeat(2040)}1 = 2041`)(withA)).toBe(true);
    expect(compileSelector(`${'TRUE AND '.repeat(450)}a = 1`)(withA)).toBe(true);
    expect(compileSelector(`${'a = 2 OR '.repeat(400)}a = 1`)(withA)).toBe(true);
  });

  it('rejects long garbage with a selector error', () => {
    for (const text of ["'".repeat(4095), ')'.repeat(4096), '1'.repeat(4096) + 'x', '%'.repeat(4096), ' '.repeat(4095) + '(']) {
      compileError(text);
    }
  });
});
