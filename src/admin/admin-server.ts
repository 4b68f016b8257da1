import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { isBrokerError } from '../spi/errors.js';
import type { Address } from '../spi/message.js';
import { readiness, type BrokerView } from './broker-view.js';
import { brokerMetrics, renderPrometheus } from './prometheus-text.js';

export interface AdminOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Read on every request: the broker fills it in as it starts. */
  view: () => BrokerView;
  /** Operator actions, reached with POST. */
  operations?: AdminOperations;
}

/** What an operator (or `wharf drill` against a remote pair) may ask of the broker. */
export interface AdminOperations {
  /** Planned failover: the active hands its lease to the standby at once and becomes standby. */
  handoff(): Promise<void>;
  /** Hard failover for drills: the process dies at once, as with SIGKILL. */
  crash(): void;
  /** Moves waiting messages of queue `from` back to where they were first sent (or to queue `to`). */
  redrive(from: string, options: { to?: Address; max?: number }): Promise<{ moved: number; failed: number; left: number }>;
}

export interface AdminServer {
  /** e.g. `http://127.0.0.1:8162`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

const json = (status: number, value: unknown): Reply => ({ status, type: 'application/json', body: `${JSON.stringify(value)}\n` });

const ROUTES: Record<string, (view: BrokerView) => Reply> = {
  '/healthz': () => json(200, { status: 'up' }),
  '/readyz': (view) => {
    const r = readiness(view);
    return json(r.ready ? 200 : 503, r);
  },
  '/api/destinations': (view) => (view.core ? json(200, view.core.stats()) : json(503, { error: 'starting' })),
  '/api/role': (view) => json(200, { role: view.ha?.role() ?? 'single', epoch: view.ha?.epoch() ?? 0, pid: process.pid }),
  '/metrics': (view) => ({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: renderPrometheus(brokerMetrics(view)) }),
};

const ACTIONS: Record<string, (ops: AdminOperations, query: URLSearchParams) => Promise<Reply>> = {
  '/api/handoff': async (ops) => {
    await ops.handoff();
    return json(200, { handedOff: true });
  },
  '/api/crash': async (ops) => {
    ops.crash();
    return json(500, { error: 'still alive' });
  },
  // ?from=ActiveMQ.DLQ[&to=queue][&max=N]
  '/api/redrive': async (ops, query) => {
    const from = query.get('from');
    const to = query.get('to');
    const max = query.get('max');
    if (!from) return json(400, { error: 'from=<queue> is required' });
    if (max !== null && !/^\d{1,9}$/.test(max)) return json(400, { error: 'max must be a count' });
    try {
      const result = await ops.redrive(from, {
        ...(to ? { to: { name: to, routing: 'anycast' } } : {}),
        ...(max !== null ? { max: Number(max) } : {}),
      });
      return json(200, result);
    } catch (e) {
      if (isBrokerError(e) && (e.code === 'INVALID_ADDRESS' || e.code === 'SHUTDOWN')) return json(e.code === 'SHUTDOWN' ? 503 : 400, { error: e.message });
      throw e;
    }
  },
};

async function route(req: IncomingMessage, options: AdminOptions): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const path = url.pathname;
  const action = ACTIONS[path];
  if (action) {
    if (req.method !== 'POST') return json(405, { error: 'only POST' });
    if (!options.operations) return json(404, { error: 'no operations on this listener' });
    return action(options.operations, url.searchParams);
  }
  const handler = ROUTES[path];
  if (!handler) return json(404, { error: `no such endpoint; try ${[...Object.keys(ROUTES), ...Object.keys(ACTIONS)].join(', ')}` });
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'only GET' });
  return handler(options.view());
}

/** The admin HTTP listener: health, readiness, role, destinations and Prometheus metrics; POST for handoff, crash and redrive. */
export async function startAdminServer(options: AdminOptions): Promise<AdminServer> {
  const logger = options.logger;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req, options)
      .catch((err: unknown) => {
        logger.error({ err, url: req.url }, 'admin request failed');
        return json(500, { error: 'internal error' });
      })
      .then((reply) => {
        res.writeHead(reply.status, { 'Content-Type': reply.type, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : reply.body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(new Error(`cannot open the admin listener on ${options.host}:${options.port}: ${e.message}`));
    server.once('error', onError);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.warn({ err }, 'admin listener error'));
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
