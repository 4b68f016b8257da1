import type { ArithOp, CompareOp, Node, Value } from './ast.js';
import { identifierEvaluator, type Evaluator } from './identifiers.js';
import { compileLike } from './like.js';

/** A condition's value in SQL three-valued logic: null is unknown. */
type Truth = boolean | null;
type Numeric = number | bigint;

function isNumeric(v: Value): v is Numeric {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Like types compare; so do number and bigint (numerically). JMS: any other pair is FALSE. */
function comparable(a: Value, b: Value): boolean {
  return typeof a === typeof b || (isNumeric(a) && isNumeric(b));
}

/** Ordering applies to numbers only (JMS restricts strings and booleans to = and <>). */
function ordering(test: (a: Numeric, b: Numeric) => boolean): (a: Value, b: Value) => Truth {
  return (a, b) => {
    if (a === null || b === null) return null;
    return isNumeric(a) && isNumeric(b) ? test(a, b) : false;
  };
}

// Loose (in)equality is exact here: operands have the same type, or are number and bigint.
const COMPARATORS: Record<CompareOp, (a: Value, b: Value) => Truth> = {
  '=': (a, b) => (a === null || b === null ? null : comparable(a, b) && a == b),
  '<>': (a, b) => (a === null || b === null ? null : comparable(a, b) && a != b),
  '<': ordering((a, b) => a < b),
  '>': ordering((a, b) => a > b),
  '<=': ordering((a, b) => a <= b),
  '>=': ordering((a, b) => a >= b),
};

interface Arithmetic {
  number(a: number, b: number): number;
  bigint(a: bigint, b: bigint): bigint | null;
}

/** Doubles unless both operands are bigint (then integer; division by zero is NULL). */
const ARITHMETIC: Record<ArithOp, Arithmetic> = {
  '+': { number: (a, b) => a + b, bigint: (a, b) => a + b },
  '-': { number: (a, b) => a - b, bigint: (a, b) => a - b },
  '*': { number: (a, b) => a * b, bigint: (a, b) => a * b },
  '/': { number: (a, b) => a / b, bigint: (a, b) => (b === 0n ? null : a / b) },
  '%': { number: (a, b) => a % b, bigint: (a, b) => (b === 0n ? null : a % b) },
};

function calculate(op: Arithmetic, a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return op.number(a, b);
  if (typeof a === 'bigint' && typeof b === 'bigint') return op.bigint(a, b);
  return isNumeric(a) && isNumeric(b) ? op.number(Number(a), Number(b)) : null;
}

function and(a: Truth, b: Truth): Truth {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

function or(a: Truth, b: Truth): Truth {
  if (a === true || b === true) return true;
  return a === null || b === null ? null : false;
}

/** AND (decisive false) or OR (decisive true) over conditions, short-circuiting. */
function logical(operands: Evaluator[], decisive: boolean): Evaluator {
  return (s) => {
    let result: Truth = !decisive;
    for (let i = 0; i < operands.length; i++) {
      const v = operands[i]!(s);
      if (v === decisive) return decisive;
      if (v === null) result = null;
    }
    return result;
  };
}

function compileArithmetic(node: Extract<Node, { type: 'arith' }>, compile: (n: Node) => Evaluator): Evaluator {
  const first = compile(node.first);
  const ops = node.rest.map((r) => ARITHMETIC[r.op]);
  const operands = node.rest.map((r) => compile(r.operand));
  return (s) => {
    let acc = first(s);
    for (let i = 0; i < ops.length && acc !== null; i++) acc = calculate(ops[i]!, acc, operands[i]!(s));
    return acc;
  };
}

function compileBetween(node: Extract<Node, { type: 'between' }>, compile: (n: Node) => Evaluator, o: CompileOptions): Evaluator {
  const read = compile(node.value);
  const value: Evaluator = o.convertStringExpressions ? (s) => { const v = read(s); return typeof v === 'string' ? fromString(v, 0) : v; } : read;
  const low = compile(node.low);
  const high = compile(node.high);
  const { '<': lt, '>': gt, '<=': le, '>=': ge } = COMPARATORS;
  if (node.negated) {
    return (s) => {
      const v = value(s);
      return or(lt(v, low(s)), gt(v, high(s)));
    };
  }
  return (s) => {
    const v = value(s);
    return and(ge(v, low(s)), le(v, high(s)));
  };
}

/** LIKE and IN: NULL is unknown, a non-string value FALSE (JMS: they apply to strings). */
function stringTest(operand: Evaluator, test: (v: string) => boolean, negated: boolean): Evaluator {
  return (s) => {
    const v = operand(s);
    if (v === null) return null;
    return typeof v === 'string' ? test(v) !== negated : false;
  };
}

/** Turns an AST node into a closure; called once per selector, never on the hot path. */
/**
 * ActiveMQ's `convert_string_expressions:` mode (used for STOMP, whose headers are all strings):
 * in a comparison, a string meeting a number or a boolean is converted to that type when it can be.
 */
function convertStrings(a: Value, b: Value): [Value, Value] {
  if (typeof a === 'string' && b !== null && typeof b !== 'string') return [fromString(a, b), b];
  if (typeof b === 'string' && a !== null && typeof a !== 'string') return [a, fromString(b, a)];
  return [a, b];
}

function fromString(text: string, like: Value): Value {
  if (typeof like === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

export interface CompileOptions {
  convertStringExpressions: boolean;
}

const PLAIN: CompileOptions = { convertStringExpressions: false };

export function compileNode(node: Node, o: CompileOptions = PLAIN): Evaluator {
  const compile = (n: Node): Evaluator => compileNode(n, o);
  switch (node.type) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'identifier':
      return identifierEvaluator(node.name);
    case 'unary': {
      const operand = compile(node.operand);
      if (node.op === '+') return (s) => { const v = operand(s); return isNumeric(v) ? v : null; };
      return (s) => { const v = operand(s); return isNumeric(v) ? -v : null; };
    }
    case 'arith':
      return compileArithmetic(node, compile);
    case 'compare': {
      const compare = COMPARATORS[node.op];
      const left = compile(node.left);
      const right = compile(node.right);
      if (o.convertStringExpressions) return (s) => compare(...convertStrings(left(s), right(s)));
      return (s) => compare(left(s), right(s));
    }
    case 'between':
      return compileBetween(node, compile, o);
    case 'like':
      return stringTest(compile(node.value), compileLike(node.pattern, node.escape), node.negated);
    case 'in': {
      const list = new Set(node.list);
      return stringTest(compile(node.value), (v) => list.has(v), node.negated);
    }
    case 'isNull': {
      const value = compile(node.value);
      const negated = node.negated;
      return (s) => (value(s) === null) !== negated;
    }
    case 'not': {
      const operand = compile(node.operand);
      return (s) => { const v = operand(s); return v === null ? null : !v; };
    }
    case 'and':
    case 'or':
      return logical(node.operands.map(compile), node.type === 'or');
    case 'truth': {
      const operand = compile(node.operand);
      // ActiveMQ: a non-boolean value used as a condition is FALSE.
      return (s) => { const v = operand(s); return typeof v === 'boolean' || v === null ? v : false; };
    }
  }
}
