import { describe, expect, it } from 'vitest';
import { compileLike } from '../../../src/core/selector/like.js';

describe('compileLike', () => {
  it.each([
    ['', null, '', true],
    ['', null, 'a', false],
    ['%', null, '', true],
    ['_', null, '', false],
    ['a%', null, 'a', true],
    ['%a', null, 'ba', true],
    ['%a', null, 'ab', false],
    ['a%b%c', null, 'a-b-c', true],
    ['a%b%c', null, 'abc', true],
    ['a%b%c', null, 'acb', false],
    ['%ab%ab%', null, 'xabyab', true],
    ['%aba%aba', null, 'abababa', true],
    ['%aba%aba', null, 'ababa', false],
    ['%aba%aba', null, 'abaxaba', true],
    ['#%#_##', '#', '%_#', true],
    ['#%#_##', '#', 'x_#', false],
    ['#a', '#', '#a', true],
    ['a..b', '.', 'a.b', true],
    ['a..b', '.', 'axb', false],
    ['a\\\\b', '\\', 'a\\b', true],
    ['a**%', '*', 'a*bc', true],
    ['a**%', '*', 'ab', false],
    ['a#', '#', 'a#', true],
    ['%', '%', 'x', true], // an escape character before nothing is what it would be unescaped
    ['%%', '%', '%', true],
    ['%%', '%', 'x', false],
    ['$^.*+?()[]{}|\\/', null, '$^.*+?()[]{}|\\/', true],
    ['a-b', null, 'a-b', true],
    ['_', null, '😀', true],
    ['__', null, '😀', false],
    ['😀%', null, '😀😀', true],
  ])('%j ESCAPE %j on %j → %s', (pattern, escape, value, expected) => {
    expect(compileLike(pattern, escape)(value)).toBe(expected);
  });

  it('is linear on patterns that make backtracking RegExps explode', () => {
    const hostile = compileLike(`${'%a'.repeat(30)}%b`, null);
    const value = 'a'.repeat(20_000);
    expect(hostile(value)).toBe(false);
    expect(hostile(`${value}b`)).toBe(true);
    expect(compileLike(`${'_%'.repeat(40)}x`, null)(value)).toBe(false);
  });

  it('is reusable: RegExp state does not leak between calls', () => {
    const like = compileLike('%b%c', null);
    expect(like('abxc')).toBe(true);
    expect(like('c')).toBe(false);
    expect(like('bc')).toBe(true);
    expect(like('abxc')).toBe(true);
  });
});
