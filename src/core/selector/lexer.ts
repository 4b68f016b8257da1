import { BrokerError } from '../../spi/index.js';

export type Keyword =
  | 'NOT' | 'AND' | 'OR' | 'BETWEEN' | 'LIKE' | 'ESCAPE' | 'IN' | 'IS' | 'NULL' | 'TRUE' | 'FALSE';
export type Punct =
  | '=' | '<>' | '<' | '>' | '<=' | '>=' | '+' | '-' | '*' | '/' | '%' | '(' | ')' | ',';

/** `text` is the source slice, for error messages; `pos` its 0-based offset. */
export type Token = { pos: number; text: string } & (
  | { kind: 'number'; value: number | bigint }
  | { kind: 'string'; value: string }
  | { kind: 'identifier'; name: string }
  | { kind: 'keyword'; keyword: Keyword }
  | { kind: 'punct'; punct: Punct }
  | { kind: 'eof' }
);

/** Every selector error: the message names the 1-based character position. */
export function selectorError(message: string, pos: number): BrokerError {
  return new BrokerError('INVALID_SELECTOR', `invalid selector: ${message} at position ${pos + 1}`);
}

const KEYWORDS: ReadonlySet<string> = new Set<Keyword>([
  'NOT', 'AND', 'OR', 'BETWEEN', 'LIKE', 'ESCAPE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE',
]);
/** Whitespace, `--` line comments and block comments. */
const SKIPPED = /[ \t\n\r\f]+|--[^\n\r]*|\/\*[\s\S]*?\*\//y;
// Java identifiers, as JMS specifies them.
const IDENTIFIER = /[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*/uy;
const WORD_TAIL = /[\p{ID_Continue}$]*/uy;
const HEX = /0[xX]([0-9a-fA-F]+)[lL]?/y;
const DECIMAL = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[lLfFdD]?/y;
const PUNCTS: readonly Punct[] = ['<>', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ','];

function matchAt(re: RegExp, src: string, pos: number): RegExpExecArray | null {
  re.lastIndex = pos;
  return re.exec(src);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Exact numerics stay `number` while that is lossless, else `bigint` (literals are never negative). */
function exact(value: bigint): number | bigint {
  return value <= MAX_SAFE ? Number(value) : value;
}

function lexNumber(src: string, pos: number): { value: number | bigint; end: number } {
  let value: number | bigint;
  let end: number;
  const hex = matchAt(HEX, src, pos);
  if (hex) {
    value = exact(BigInt(`0x${hex[1]}`));
    end = pos + hex[0].length;
  } else {
    const text = matchAt(DECIMAL, src, pos)![0];
    const suffix = /[lLfFdD]$/.test(text) ? text.slice(-1) : '';
    const body = text.slice(0, text.length - suffix.length);
    const approximate = /[.eE]/.test(body) || /[fFdD]/.test(suffix);
    if (approximate && /[lL]/.test(suffix)) {
      throw selectorError(`the long suffix L does not apply to '${text}'`, pos);
    }
    if (approximate) {
      value = Number(body);
    } else if (body.length > 1 && body.startsWith('0')) {
      // A leading zero makes an exact numeric octal, as in Java.
      if (!/^[0-7]+$/.test(body)) throw selectorError(`invalid octal literal '${text}'`, pos);
      value = exact(BigInt(`0o${body.slice(1)}`));
    } else {
      value = exact(BigInt(body));
    }
    end = pos + text.length;
  }
  const tail = matchAt(WORD_TAIL, src, end)![0];
  if (tail !== '') throw selectorError(`invalid numeric literal '${src.slice(pos, end)}${tail}'`, pos);
  return { value, end };
}

function lexString(src: string, pos: number): { value: string; end: number } {
  let value = '';
  let from = pos + 1;
  for (;;) {
    const quote = src.indexOf("'", from);
    if (quote < 0) throw selectorError('unterminated string literal', pos);
    value += src.slice(from, quote);
    if (src[quote + 1] !== "'") return { value, end: quote + 1 };
    value += "'";
    from = quote + 2;
  }
}

/**
 * Splits selector text into tokens, ending with one `eof` token. Comments are SQL's (and
 * ActiveMQ's): `--` to the end of the line and `/* ... *\/`; so double negation needs a space.
 */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < src.length) {
    const skipped = matchAt(SKIPPED, src, pos);
    if (skipped) {
      pos += skipped[0].length;
      continue;
    }
    if (src.startsWith('/*', pos)) throw selectorError('unterminated comment', pos);
    const c = src[pos]!;
    if (c === "'") {
      const { value, end } = lexString(src, pos);
      tokens.push({ kind: 'string', value, pos, text: src.slice(pos, end) });
      pos = end;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[pos + 1] ?? ''))) {
      const { value, end } = lexNumber(src, pos);
      tokens.push({ kind: 'number', value, pos, text: src.slice(pos, end) });
      pos = end;
    } else {
      const word = matchAt(IDENTIFIER, src, pos)?.[0];
      if (word !== undefined) {
        const upper = word.toUpperCase();
        // ASCII only: 'ın'.toUpperCase() is 'IN', and that is an identifier.
        if (/^[A-Za-z]+$/.test(word) && KEYWORDS.has(upper)) {
          tokens.push({ kind: 'keyword', keyword: upper as Keyword, pos, text: word });
        } else {
          tokens.push({ kind: 'identifier', name: word, pos, text: word });
        }
        pos += word.length;
        continue;
      }
      const punct = PUNCTS.find((p) => src.startsWith(p, pos));
      if (!punct) {
        const hint = src.startsWith('!=', pos) ? " (use '<>' for not equal)" : '';
        throw selectorError(`unexpected character '${String.fromCodePoint(src.codePointAt(pos)!)}'${hint}`, pos);
      }
      tokens.push({ kind: 'punct', punct, pos, text: punct });
      pos += punct.length;
    }
  }
  tokens.push({ kind: 'eof', pos, text: '' });
  return tokens;
}
