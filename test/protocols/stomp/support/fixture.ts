import { afterAll, afterEach, beforeAll } from 'vitest';
import type { DeepPartial, ResolvedConfig } from '../../../../src/config/schema.js';
import { startTestBroker, type TestBroker } from '../../../helpers/broker.js';
import { RawClient } from './raw-client.js';

export interface StompFixture {
  readonly broker: TestBroker;
  readonly tcpPort: number;
  readonly tlsPort: number;
  /** A connected raw client over TCP, closed after the test. */
  client(headers?: Record<string, string>): Promise<RawClient>;
  /** An unconnected raw client over TCP, closed after the test. */
  socket(): Promise<RawClient>;
  /** A destination name unique to the calling test. */
  name(prefix: string): string;
}

/** One broker for a test file, with raw clients that are cleaned up after each test. */
export function useStompBroker(overrides: DeepPartial<ResolvedConfig> = {}): StompFixture {
  let broker: TestBroker | undefined;
  const open: RawClient[] = [];
  let counter = 0;
  beforeAll(async () => {
    broker = await startTestBroker(overrides);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(async () => {
    await broker?.stop();
  });
  const fixture: StompFixture = {
    get broker() {
      return broker!;
    },
    get tcpPort() {
      return broker!.ports.stomp!.tcp!;
    },
    get tlsPort() {
      return broker!.ports.stomp!.tls!;
    },
    async client(headers = {}) {
      const c = await RawClient.connected({ port: fixture.tcpPort }, headers);
      open.push(c);
      return c;
    },
    async socket() {
      const c = await RawClient.open({ port: fixture.tcpPort });
      open.push(c);
      return c;
    },
    name(prefix) {
      return `${prefix}.${process.pid}.${++counter}.${Math.random().toString(36).slice(2, 8)}`;
    },
  };
  return fixture;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
