import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

/**
 * Fields never written to the log, wherever they appear one or two levels deep (STOMP
 * `passcode` headers, CONNECT credentials, HTTP `authorization`, configured users).
 */
export const REDACT_PATHS = ['password', 'passcode', 'authorization', 'credentials', 'users']
  .flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

/**
 * The root logger: JSON lines on stdout (or `destination`). Components log through a child
 * (`root.child({ component: 'stomp' })`). Message bodies are never logged.
 */
export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
