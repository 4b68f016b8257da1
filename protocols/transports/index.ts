/** Transports: TCP, TLS, WebSocket and secure WebSocket listeners that hand connections to adapters. */
export { openListeners, type ListenerSet } from './open-listeners.js';
export type { ListenerSpec, RunningListener, TransportKind, TransportOptions } from './listener-spec.js';
export { parseSubprotocols, selectWebSocketAdapter, type WebSocketChoice } from './select-web-socket-adapter.js';
