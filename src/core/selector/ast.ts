/** The parsed form of a selector; `parser.ts` builds it, `evaluate.ts` turns it into closures. */

/** A runtime value: NULL (missing property) is `null`; conditions are `true | false | null`. */
export type Value = string | number | bigint | boolean | null;

export type CompareOp = '=' | '<>' | '<' | '>' | '<=' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

export type Node =
  | { type: 'literal'; value: string | number | bigint | boolean }
  | { type: 'identifier'; name: string }
  | { type: 'unary'; op: '+' | '-'; operand: Node }
  /** A left-associative chain at one precedence level: ((first op1 x1) op2 x2) ... */
  | { type: 'arith'; first: Node; rest: { op: ArithOp; operand: Node }[] }
  | { type: 'compare'; op: CompareOp; left: Node; right: Node }
  | { type: 'between'; negated: boolean; value: Node; low: Node; high: Node }
  | { type: 'like'; negated: boolean; value: Node; pattern: string; escape: string | null }
  | { type: 'in'; negated: boolean; value: Node; list: string[] }
  | { type: 'isNull'; negated: boolean; value: Node }
  | { type: 'not'; operand: Node }
  | { type: 'and' | 'or'; operands: Node[] }
  /** An identifier used as a condition: TRUE/FALSE if it holds a boolean, else FALSE or NULL. */
  | { type: 'truth'; operand: Node };

/** What the parser knows of a node's type before any message is seen; identifiers are dynamic. */
export type StaticType = 'boolean' | 'number' | 'string' | 'dynamic';

export function staticTypeOf(node: Node): StaticType {
  switch (node.type) {
    case 'literal':
      if (typeof node.value === 'bigint') return 'number';
      return typeof node.value as 'string' | 'number' | 'boolean';
    case 'identifier':
      return 'dynamic';
    case 'unary':
    case 'arith':
      return 'number';
    default:
      return 'boolean';
  }
}
