import { ANY_LEVELS, ONE_LEVEL, splitLevels } from './address-rules.js';

interface TrieNode<T> {
  children: Map<string, TrieNode<T>>;
  /** Values whose filter ends exactly here. */
  exact: Set<T>;
  /** Values whose filter is this prefix followed by `>`. */
  rest: Set<T>;
}

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), exact: new Set(), rest: new Set() };
}

/**
 * Topic filters with wildcards, matched against concrete topic names level by level.
 * `a.>` matches `a` itself and everything below it, as in ActiveMQ (and MQTT's `a/#`).
 * A filter starting with a wildcard does not match a name whose first level starts with `$`
 * (system topics, as MQTT requires).
 */
export class TopicTrie<T> {
  private readonly root = newNode<T>();

  add(filter: string, value: T): void {
    let node = this.root;
    const levels = splitLevels(filter);
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      if (level === ANY_LEVELS && i === levels.length - 1) {
        node.rest.add(value);
        return;
      }
      let child = node.children.get(level);
      if (!child) node.children.set(level, (child = newNode()));
      node = child;
    }
    node.exact.add(value);
  }

  remove(filter: string, value: T): void {
    const levels = splitLevels(filter);
    const path: TrieNode<T>[] = [this.root];
    let node = this.root;
    let last = levels.length;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      if (level === ANY_LEVELS && i === levels.length - 1) {
        node.rest.delete(value);
        last = i;
        break;
      }
      const child = node.children.get(level);
      if (!child) return;
      node = child;
      path.push(node);
    }
    if (last === levels.length) node.exact.delete(value);
    // Prune empty nodes bottom-up so the trie does not grow with churn.
    for (let i = path.length - 1; i > 0; i--) {
      const n = path[i]!;
      if (n.exact.size || n.rest.size || n.children.size) break;
      path[i - 1]!.children.delete(levels[i - 1]!);
    }
  }

  /** Calls `visit` once for every value whose filter matches `name` (a value may repeat if added under two matching filters). */
  match(name: string, visit: (value: T) => void): void {
    const levels = splitLevels(name);
    const system = levels[0]!.startsWith('$');
    this.walk(this.root, levels, 0, system, visit);
  }

  private walk(node: TrieNode<T>, levels: string[], i: number, system: boolean, visit: (value: T) => void): void {
    const wildcardsAllowed = !(system && i === 0);
    if (wildcardsAllowed) for (const v of node.rest) visit(v);
    if (i === levels.length) {
      for (const v of node.exact) visit(v);
      return;
    }
    const exact = node.children.get(levels[i]!);
    if (exact) this.walk(exact, levels, i + 1, system, visit);
    if (!wildcardsAllowed) return;
    const one = node.children.get(ONE_LEVEL);
    if (one) this.walk(one, levels, i + 1, system, visit);
  }
}
