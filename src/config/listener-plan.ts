import {
  PROTOCOLS, SOCKET_TRANSPORTS, WEB_SOCKET_TRANSPORTS, type ListenerConfig, type ResolvedConfig, type TransportName,
} from './schema.js';

/** Every listener section of the configuration with its dotted path (admin included). */
export function listenerSections(config: ResolvedConfig): Array<[string, ListenerConfig]> {
  const sections: Array<[string, ListenerConfig]> = [['admin', config.admin]];
  for (const t of WEB_SOCKET_TRANSPORTS) sections.push([t, config[t]]);
  for (const p of PROTOCOLS) {
    for (const t of SOCKET_TRANSPORTS) sections.push([`${p}.${t}`, config[p][t]]);
  }
  return sections;
}

export interface PlannedListener {
  /** `stomp-tcp`, `stomp-tls`, ..., `ws`, `wss`. */
  name: string;
  transport: TransportName;
  host: string;
  port: number;
  /** Names of the adapters it serves: one for TCP/TLS, any number for WS/WSS. */
  protocols: string[];
}

export interface PlannableAdapter {
  name: string;
  webSocketProtocols: readonly string[];
}

/**
 * The listeners to open: only enabled ones, and only for registered adapters. TCP/TLS listeners
 * belong to one protocol; the WS and WSS listeners serve every adapter with WebSocket subprotocols.
 */
export function planListeners(config: ResolvedConfig, adapters: readonly PlannableAdapter[]): PlannedListener[] {
  const plan: PlannedListener[] = [];
  for (const adapter of adapters) {
    if (!(PROTOCOLS as readonly string[]).includes(adapter.name)) continue;
    const section = config[adapter.name as (typeof PROTOCOLS)[number]];
    for (const transport of SOCKET_TRANSPORTS) {
      const { enabled, host, port } = section[transport];
      if (enabled) plan.push({ name: `${adapter.name}-${transport}`, transport, host, port, protocols: [adapter.name] });
    }
  }
  const webSocketAdapters = adapters.filter((a) => a.webSocketProtocols.length > 0).map((a) => a.name);
  for (const transport of WEB_SOCKET_TRANSPORTS) {
    const { enabled, host, port } = config[transport];
    if (enabled && webSocketAdapters.length > 0) plan.push({ name: transport, transport, host, port, protocols: webSocketAdapters });
  }
  return plan;
}

/** Whether any planned listener needs a certificate. */
export function needsTls(plan: readonly PlannedListener[]): boolean {
  return plan.some((l) => l.transport === 'tls' || l.transport === 'wss');
}
