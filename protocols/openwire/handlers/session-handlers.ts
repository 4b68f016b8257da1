import type { SessionEntry, OpenWireConnection } from '../connection.js';
import type { SessionInfo } from '../codec/commands.js';
import { sessionKey } from '../ids.js';
import { requireSession } from './handler.js';
import { removeConsumer } from './consumer-handlers.js';

/** A JMS session's entry, created on first use (the advisory consumer's session -1 has no SessionInfo). */
export function sessionEntry(c: OpenWireConnection, key: string): SessionEntry {
  let entry = c.sessions.get(key);
  if (!entry) {
    entry = { consumers: new Set(), producers: new Set() };
    c.sessions.set(key, entry);
  }
  return entry;
}

/** SessionInfo: bookkeeping only (ack mode and transactedness show in later commands). A replay is a no-op. */
export function onSessionInfo(c: OpenWireConnection, info: SessionInfo): void {
  requireSession(c);
  sessionEntry(c, sessionKey(info.sessionId));
}

/** RemoveInfo(SessionId): its consumers and producers go with it. */
export async function removeSession(c: OpenWireConnection, key: string): Promise<void> {
  const entry = c.sessions.get(key);
  if (!entry) return;
  c.sessions.delete(key);
  for (const p of entry.producers) c.producers.delete(p);
  await Promise.all([...entry.consumers].map((k) => removeConsumer(c, k)));
}
