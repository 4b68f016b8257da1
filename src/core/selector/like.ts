/** Characters with a meaning in a `u`-flag RegExp outside a class (all may be `\`-escaped there). */
const REGEX_SYNTAX = /[\^$\\.*+?()[\]{}|/]/g;

function literal(char: string): string {
  return char.replace(REGEX_SYNTAX, '\\$&');
}

/**
 * Splits a LIKE pattern at its `%` wildcards into RegExp sources of fixed length in code points
 * (`_` is `.`). An escape character makes a following `%`, `_` or escape character literal;
 * before anything else it is an ordinary character, as in ActiveMQ.
 */
function segments(pattern: string, escape: string | null): string[] {
  const chars = [...pattern];
  const result: string[] = [];
  let current = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    if (c === escape && (next === '%' || next === '_' || next === escape)) {
      current += literal(next);
      i++;
    } else if (c === '%') {
      result.push(current);
      current = '';
    } else {
      current += c === '_' ? '.' : literal(c);
    }
  }
  result.push(current);
  return result;
}

/**
 * Compiles `value LIKE pattern` once into a matcher. Rather than one RegExp with a `.*` per `%`
 * (which backtracks exponentially on patterns such as '%a%a%a%a%b'), each segment between `%`s
 * is its own quantifier-free RegExp: the first anchored at the start, the middle ones found
 * leftmost in turn (optimal, since segments have a fixed length), the last anchored at the end.
 * Time is O(value length × pattern length); matching allocates nothing.
 */
export function compileLike(pattern: string, escape: string | null): (value: string) => boolean {
  const parts = segments(pattern, escape);
  if (parts.length === 1) {
    const whole = new RegExp(`^(?:${parts[0]})$`, 'su');
    return (value) => whole.test(value);
  }
  const first = new RegExp(parts[0]!, 'suy');
  const middle = parts.slice(1, -1).filter((p) => p !== '').map((p) => new RegExp(p, 'sug'));
  const last = new RegExp(`(?:${parts[parts.length - 1]})$`, 'sug');
  return (value) => {
    first.lastIndex = 0;
    if (!first.test(value)) return false;
    let pos = first.lastIndex;
    for (let i = 0; i < middle.length; i++) {
      const re = middle[i]!;
      re.lastIndex = pos;
      if (!re.test(value)) return false;
      pos = re.lastIndex;
    }
    last.lastIndex = pos;
    return last.test(value);
  };
}
