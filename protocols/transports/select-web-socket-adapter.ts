export interface WebSocketCapable {
  /** Subprotocols the adapter serves, most preferred first. */
  readonly webSocketProtocols: readonly string[];
}

export interface WebSocketChoice<A> {
  adapter: A;
  /** The subprotocol to confirm, spelled as the client offered it; undefined: none. */
  protocol: string | undefined;
}

/** The subprotocols in a `Sec-WebSocket-Protocol` header. */
export function parseSubprotocols(header: string | undefined): string[] {
  return (header ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Which adapter serves a WebSocket: the one owning the first known subprotocol the client
 * offers; among the adapter's subprotocols the client offers, the adapter's most preferred wins
 * (so the STOMP adapter, listing `v12.stomp` first, gets the highest version offered). With no
 * known subprotocol, a listener with a single adapter uses it; otherwise there is no choice.
 */
export function selectWebSocketAdapter<A extends WebSocketCapable>(
  offered: readonly string[],
  adapters: readonly A[],
): WebSocketChoice<A> | undefined {
  for (const candidate of offered) {
    const adapter = adapters.find((a) => a.webSocketProtocols.some((p) => same(p, candidate)));
    if (!adapter) continue;
    const preferred = adapter.webSocketProtocols.find((p) => offered.some((o) => same(o, p)))!;
    return { adapter, protocol: offered.find((o) => same(o, preferred)) };
  }
  return adapters.length === 1 ? { adapter: adapters[0]!, protocol: undefined } : undefined;
}
