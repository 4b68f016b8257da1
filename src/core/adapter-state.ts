import type { AdapterState } from '../spi/core.js';
import type { StoreOp } from '../store/store.js';

const EMPTY: ReadonlyMap<string, Uint8Array> = new Map();

/** AdapterState over the store's kv ops: a memory copy for reads, store commits for writes. */
export class StoreBackedState implements AdapterState {
  private spaces = new Map<string, Map<string, Uint8Array>>();

  constructor(private readonly commit: (ops: StoreOp[]) => Promise<void>) {}

  load(recovered: Map<string, Map<string, Uint8Array>>): void {
    this.spaces = new Map([...recovered].map(([space, m]) => [space, new Map(m)]));
  }

  get(space: string, key: string): Uint8Array | undefined {
    return this.spaces.get(space)?.get(key);
  }

  entries(space: string): ReadonlyMap<string, Uint8Array> {
    return this.spaces.get(space) ?? EMPTY;
  }

  put(space: string, key: string, value: Uint8Array): Promise<void> {
    let m = this.spaces.get(space);
    if (!m) this.spaces.set(space, (m = new Map()));
    m.set(key, value);
    return this.commit([{ kind: 'kv-put', space, key, value }]);
  }

  delete(space: string, key: string): Promise<void> {
    this.spaces.get(space)?.delete(key);
    return this.commit([{ kind: 'kv-delete', space, key }]);
  }
}
