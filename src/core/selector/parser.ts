import { staticTypeOf, type ArithOp, type CompareOp, type Node, type StaticType } from './ast.js';
import { selectorError, type Keyword, type Punct, type Token } from './lexer.js';

/** Deepest nesting of parentheses, NOT and unary signs; bounds recursion on hostile input. */
const MAX_SELECTOR_DEPTH = 100;

const COMPARE_OPS: ReadonlySet<Punct> = new Set<CompareOp>(['=', '<>', '<', '>', '<=', '>=']);
const ADDITIVE_OPS: ReadonlySet<Punct> = new Set<ArithOp>(['+', '-']);
const MULTIPLICATIVE_OPS: ReadonlySet<Punct> = new Set<ArithOp>(['*', '/', '%']);

function describe(token: Token): string {
  if (token.kind === 'eof') return 'end of selector';
  return `'${token.text.length > 40 ? `${token.text.slice(0, 40)}...` : token.text}'`;
}

/**
 * Recursive descent with JMS precedence, lowest first: OR, AND, NOT, comparisons (= <> < > <= >=,
 * [NOT] BETWEEN / LIKE / IN, IS [NOT] NULL; not chainable), + -, * / %, unary + -.
 * Operand types are checked where the parser can know them (literals and operators); identifiers
 * are typed only at evaluation.
 */
class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parseSelector(): Node | null {
    if (this.peek().kind === 'eof') return null;
    const node = this.parseOr();
    if (this.peek().kind !== 'eof') throw this.unexpected(this.peek());
    return this.asCondition(node, this.tokens[0]!.pos, 'the selector');
  }

  private parseOr(): Node {
    return this.parseLogical('OR', () => this.parseLogical('AND', () => this.parseNot()));
  }

  private parseLogical(keyword: 'AND' | 'OR', operand: () => Node): Node {
    const start = this.peek().pos;
    const first = operand();
    if (!this.isKeyword(keyword)) return first;
    const operands = [this.asCondition(first, start, keyword)];
    while (this.acceptKeyword(keyword)) {
      const at = this.peek().pos;
      operands.push(this.asCondition(operand(), at, keyword));
    }
    return { type: keyword === 'AND' ? 'and' : 'or', operands };
  }

  private parseNot(): Node {
    const token = this.peek();
    if (!this.acceptKeyword('NOT')) return this.parseComparison();
    this.enter(token.pos);
    const at = this.peek().pos;
    const operand = this.asCondition(this.parseNot(), at, 'NOT');
    this.depth--;
    return { type: 'not', operand };
  }

  private parseComparison(): Node {
    const start = this.peek().pos;
    const left = this.parseAdditive();
    const token = this.peek();
    if (token.kind === 'punct' && COMPARE_OPS.has(token.punct)) {
      this.index++;
      const op = token.punct as CompareOp;
      const rightAt = this.peek().pos;
      const right = this.parseAdditive();
      if (op !== '=' && op !== '<>') {
        this.expectType(left, start, 'number', `'${op}'`);
        this.expectType(right, rightAt, 'number', `'${op}'`);
      }
      return { type: 'compare', op, left, right };
    }
    const negated = this.acceptKeyword('NOT');
    if (this.acceptKeyword('BETWEEN')) return this.parseBetween(left, start, negated);
    if (this.acceptKeyword('LIKE')) return this.parseLike(left, start, negated);
    if (this.acceptKeyword('IN')) return this.parseIn(left, start, negated);
    if (negated) throw selectorError(`expected BETWEEN, LIKE or IN after NOT but found ${describe(this.peek())}`, this.peek().pos);
    if (this.acceptKeyword('IS')) {
      const isNot = this.acceptKeyword('NOT');
      this.expectKeyword('NULL');
      return { type: 'isNull', negated: isNot, value: left };
    }
    return left;
  }

  private parseBetween(value: Node, start: number, negated: boolean): Node {
    this.expectType(value, start, 'number', 'BETWEEN');
    const lowAt = this.peek().pos;
    const low = this.expectType(this.parseAdditive(), lowAt, 'number', 'BETWEEN');
    this.expectKeyword('AND');
    const highAt = this.peek().pos;
    const high = this.expectType(this.parseAdditive(), highAt, 'number', 'BETWEEN');
    return { type: 'between', negated, value, low, high };
  }

  private parseLike(value: Node, start: number, negated: boolean): Node {
    this.expectType(value, start, 'string', 'LIKE');
    const pattern = this.expectString('a LIKE pattern');
    let escape: string | null = null;
    if (this.acceptKeyword('ESCAPE')) {
      const at = this.peek().pos;
      escape = this.expectString('an ESCAPE character');
      if ([...escape].length !== 1) throw selectorError('the ESCAPE string must be exactly one character', at);
    }
    return { type: 'like', negated, value, pattern, escape };
  }

  private parseIn(value: Node, start: number, negated: boolean): Node {
    if (value.type !== 'identifier') throw selectorError('IN needs an identifier on its left', start);
    this.expectPunct('(');
    const list = [this.expectString('a string literal in the IN list')];
    while (this.acceptPunct(',')) list.push(this.expectString('a string literal in the IN list'));
    this.expectPunct(')');
    return { type: 'in', negated, value, list };
  }

  private parseAdditive(): Node {
    return this.parseArithmetic(ADDITIVE_OPS, () => this.parseArithmetic(MULTIPLICATIVE_OPS, () => this.parseUnary()));
  }

  /** One left-associative level of binary arithmetic, kept flat so evaluation need not recurse. */
  private parseArithmetic(ops: ReadonlySet<Punct>, operand: () => Node): Node {
    const start = this.peek().pos;
    const first = operand();
    const rest: { op: ArithOp; operand: Node }[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'punct' || !ops.has(token.punct)) break;
      this.index++;
      const op = token.punct as ArithOp;
      if (rest.length === 0) this.expectType(first, start, 'number', `'${op}'`);
      const at = this.peek().pos;
      rest.push({ op, operand: this.expectType(operand(), at, 'number', `'${op}'`) });
    }
    return rest.length === 0 ? first : { type: 'arith', first, rest };
  }

  private parseUnary(): Node {
    const token = this.peek();
    if (token.kind !== 'punct' || (token.punct !== '+' && token.punct !== '-')) return this.parsePrimary();
    this.index++;
    this.enter(token.pos);
    const op = token.punct;
    const at = this.peek().pos;
    const operand = this.expectType(this.parseUnary(), at, 'number', `unary '${op}'`);
    this.depth--;
    if (operand.type === 'literal') {
      // Folded, so that -9223372036854775808 and friends are plain literals.
      return op === '-' ? { type: 'literal', value: -(operand.value as number | bigint) } : operand;
    }
    return { type: 'unary', op, operand };
  }

  private parsePrimary(): Node {
    const token = this.tokens[this.index]!;
    this.index++;
    switch (token.kind) {
      case 'number':
      case 'string':
        return { type: 'literal', value: token.value };
      case 'identifier':
        return { type: 'identifier', name: token.name };
      case 'keyword':
        if (token.keyword === 'TRUE' || token.keyword === 'FALSE') {
          return { type: 'literal', value: token.keyword === 'TRUE' };
        }
        break;
      case 'punct':
        if (token.punct === '(') {
          this.enter(token.pos);
          const inner = this.parseOr();
          this.expectPunct(')');
          this.depth--;
          return inner;
        }
        break;
      case 'eof':
        this.index--;
        break;
    }
    throw this.unexpected(token);
  }

  /** Identifiers used as conditions are read as booleans at evaluation. */
  private asCondition(node: Node, pos: number, what: string): Node {
    this.expectType(node, pos, 'boolean', what);
    return node.type === 'identifier' ? { type: 'truth', operand: node } : node;
  }

  private expectType(node: Node, pos: number, wanted: StaticType, what: string): Node {
    const found = staticTypeOf(node);
    if (found !== 'dynamic' && found !== wanted) {
      throw selectorError(`${what} expects a ${wanted} but found a ${found}`, pos);
    }
    return node;
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_SELECTOR_DEPTH) {
      throw selectorError(`the selector nests deeper than ${MAX_SELECTOR_DEPTH} levels`, pos);
    }
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private unexpected(token: Token): Error {
    return selectorError(`unexpected ${describe(token)}`, token.pos);
  }

  private isKeyword(keyword: Keyword): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.keyword === keyword;
  }

  private acceptKeyword(keyword: Keyword): boolean {
    if (!this.isKeyword(keyword)) return false;
    this.index++;
    return true;
  }

  private expectKeyword(keyword: Keyword): void {
    if (!this.acceptKeyword(keyword)) {
      throw selectorError(`expected ${keyword} but found ${describe(this.peek())}`, this.peek().pos);
    }
  }

  private acceptPunct(punct: Punct): boolean {
    const token = this.peek();
    if (token.kind !== 'punct' || token.punct !== punct) return false;
    this.index++;
    return true;
  }

  private expectPunct(punct: Punct): void {
    if (!this.acceptPunct(punct)) {
      throw selectorError(`expected '${punct}' but found ${describe(this.peek())}`, this.peek().pos);
    }
  }

  private expectString(what: string): string {
    const token = this.peek();
    if (token.kind !== 'string') throw selectorError(`expected ${what} but found ${describe(token)}`, token.pos);
    this.index++;
    return token.value;
  }
}

/** Parses tokens to an AST; null for a selector with no tokens (it matches everything). */
export function parse(tokens: Token[]): Node | null {
  return new Parser(tokens).parseSelector();
}
