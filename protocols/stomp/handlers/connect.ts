import { SUPPORTED_VERSIONS, type InboundFrame, type StompVersion } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import { negotiateHeartbeat } from '../heartbeat.js';
import type { StompContext } from './context.js';

/**
 * CONNECT / STOMP: negotiate the version and heart-beats, authenticate, open the core session
 * (client-id under the `reject` policy: ActiveMQ refuses a second connection with the same client
 * id), answer CONNECTED. Every failure here is an ERROR followed by close.
 */
export async function connect(frame: InboundFrame, ctx: StompContext): Promise<void> {
  const h = frame.headers;
  const version = negotiateVersion(h.get('accept-version'));
  const heartbeat = negotiateHeartbeat(h.get('heart-beat'), ctx.config);
  const login = h.get('login');
  const passcode = h.get('passcode');
  const principal = await ctx.core.authenticate({
    ...(login !== undefined ? { username: login } : {}),
    ...(passcode !== undefined ? { password: passcode } : {}),
  });
  const clientId = h.get('client-id');
  const session = ctx.core.openSession(
    {
      principal,
      protocol: 'stomp',
      remoteAddress: ctx.remoteAddress,
      ...(clientId !== undefined && clientId.length > 0 ? { clientId, clientIdPolicy: 'reject' as const } : {}),
    },
    ctx.sink,
  );
  const connected: Array<[string, string]> = [
    ['version', version],
    // ActiveMQ answers with the client id, or its connection id when there is none.
    ['session', session.clientId ?? session.id],
    ['server', `Wharf/${ctx.config.serverVersion} (${ctx.core.brokerName})`],
    ['heart-beat', heartbeat.header],
  ];
  // ActiveMQ echoes `request-id` (legacy: `receipt`) as response-id and receipt-id.
  const requestId = h.get('request-id') ?? h.get('receipt');
  if (requestId !== undefined) connected.push(['response-id', requestId], ['receipt-id', requestId]);
  ctx.opened(session, version, heartbeat, connected);
}

/** accept-version absent: 1.0. Otherwise the highest version both sides know. */
function negotiateVersion(accept: string | undefined): StompVersion {
  if (accept === undefined) return '1.0';
  const offered = new Set(accept.split(',').map((v) => v.trim()));
  const version = SUPPORTED_VERSIONS.find((v) => offered.has(v));
  if (version === undefined) {
    const supported = [...SUPPORTED_VERSIONS].reverse().join(',');
    throw new ProtocolError(`Invalid Protocol version[${accept}], supported versions are: ${supported}`, [['version', supported]]);
  }
  return version;
}
