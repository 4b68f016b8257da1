import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerId, MessageDispatch } from '../../../protocols/openwire/codec/commands.js';
import { T } from '../../../protocols/openwire/codec/type-codes.js';
import { answers, feedLikeAClient, startHarness, type Harness, type MemoryTransport } from './memory-transport.js';
import { directionFrames, loadScenarios, type VectorFrame } from './vectors.js';

/**
 * The broker side driven by the client frames of every broker-loose capture (a default 5.17
 * client against a loose broker, what Wharf sees): every request gets the same kind of answer
 * ActiveMQ gave (Response, ExceptionResponse, ...), and the consumers ActiveMQ dispatched to
 * get dispatches here too. Ids are those of the capture; timings are ours.
 */
const key = (id: ConsumerId | null): string => (id ? `${id.sessionId}:${id.value}` : '-');

describe('conversations replayed from the captures', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  for (const scenario of loadScenarios('broker-loose')) {
    it(scenario.scenario, async () => {
      const transports: MemoryTransport[] = [];
      for (const conn of scenario.connections) {
        const c2b = directionFrames(conn, 'c2b');
        const b2c = directionFrames(conn, 'b2c');
        const t = h.connect();
        transports.push(t);
        await feedLikeAClient(t, c2b);
        await new Promise((r) => setTimeout(r, 100));
        const ours = t.frames();
        for (const request of c2b.filter((f) => f.java.decoded.responseRequired === true)) {
          const id = request.java.decoded.commandId as number;
          const theirs = b2c.find((f: VectorFrame) => f.java.decoded.correlationId === id);
          const mine = ours.find((f) => answers(f, id));
          expect(mine?.typeCode, `answer to ${request.typeName} #${id}`).toBe(theirs?.type);
        }
        const dispatchedTo = (frames: Array<{ typeCode: number; consumerId?: ConsumerId | null; message?: unknown }>): string[] =>
          [...new Set(frames.filter((f) => f.typeCode === T.MESSAGE_DISPATCH && f.message).map((f) => key((f as MessageDispatch).consumerId)))].sort();
        const expected = dispatchedTo(b2c.map((f) => f.java.decoded as { typeCode: number; consumerId: ConsumerId | null; message: unknown })
          .map((d, i) => ({ ...d, typeCode: b2c[i]!.type })));
        expect(dispatchedTo(ours as never[]), `consumers dispatched to on connection ${conn.index}`).toEqual(expected);
      }
      expect(h.errors).toEqual([]);
    });
  }
});
