/**
 * JMS message selectors (the SQL-92 subset of the JMS spec, as ActiveMQ evaluates it): parsed
 * once into closures, so matching a message neither re-parses nor allocates beyond arithmetic.
 *
 * Where JMS, ActiveMQ and JavaScript part ways:
 * - unlike types (string and number, boolean and number, ...) compare FALSE under every operator,
 *   `<>`, NOT LIKE and NOT IN included, as JMS says (ActiveMQ makes some of those TRUE);
 * - arithmetic is in doubles unless both operands are bigint (then exact integers), so
 *   `7 / 2 = 3.5` where Java's int division gives 3;
 * - of ActiveMQ's extensions, `%` (modulo) and SQL comments (`--`, `/* *\/`) are supported,
 *   XPATH/XQUERY are not.
 */
import type { CoreMessage } from '../../spi/index.js';
import { compileNode } from './evaluate.js';
import { selectorError, tokenize } from './lexer.js';
import { parse } from './parser.js';

export interface SelectorSubject { message: CoreMessage; deliveryCount: number }
export type Selector = (subject: SelectorSubject) => boolean;

/** Longer selectors are refused before lexing, bounding parse work. */
const MAX_SELECTOR_LENGTH = 4096;

const matchAll: Selector = () => true;

export const CONVERT_PREFIX = 'convert_string_expressions:';

/** Parses once; throws BrokerError('INVALID_SELECTOR', '<clear message with position>') on bad syntax. Empty/whitespace text → a selector that matches everything. */
export function compileSelector(text: string): Selector {
  // ActiveMQ's prefix for selectors whose string properties compare with numbers (STOMP).
  const convertStringExpressions = text.startsWith(CONVERT_PREFIX);
  if (convertStringExpressions) text = text.slice(CONVERT_PREFIX.length);
  if (text.length > MAX_SELECTOR_LENGTH) {
    throw selectorError(`the selector is longer than ${MAX_SELECTOR_LENGTH} characters`, MAX_SELECTOR_LENGTH);
  }
  const ast = parse(tokenize(text));
  if (!ast) return matchAll;
  const condition = compileNode(ast, { convertStringExpressions });
  // Only TRUE selects: FALSE and unknown (NULL) do not.
  return (subject) => condition(subject) === true;
}
