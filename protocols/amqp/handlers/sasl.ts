import { isBrokerError, type Core, type Credentials, type Principal } from '../../../src/spi/index.js';
import type { ServerMechanism } from '../rhea-engine.js';

/**
 * SASL (spec 5.3) on the server side: ANONYMOUS and PLAIN, both single-step, both answered by the
 * core's authenticate(). rhea writes the mechanisms and the outcome; we report the result.
 */

/** The result of one SASL exchange: a principal, or undefined when authentication failed. */
export type SaslResult = (principal: Principal | undefined) => void;

class CoreMechanism implements ServerMechanism {
  outcome: boolean | undefined;
  username: string | undefined;

  constructor(
    private readonly core: Core,
    private readonly credentialsOf: (response: Buffer | undefined) => Credentials | undefined,
    private readonly done: SaslResult,
  ) {}

  async start(response: Buffer | undefined): Promise<void> {
    const credentials = this.credentialsOf(response);
    if (!credentials) {
      this.outcome = false;
      this.done(undefined);
      return;
    }
    try {
      const principal = await this.core.authenticate(credentials);
      this.outcome = true;
      this.username = principal.name;
      this.done(principal);
    } catch (e) {
      this.done(undefined);
      // A refusal is an auth outcome; anything else makes rhea answer with a system error.
      if (!isBrokerError(e) || e.code !== 'NOT_AUTHORIZED') throw e;
      this.outcome = false;
    }
  }
}

/** PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd. */
function plainCredentials(response: Buffer | undefined): Credentials | undefined {
  if (!response) return undefined;
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= response.length; i++) {
    if (i === response.length || response[i] === 0) {
      parts.push(response.toString('utf8', start, i));
      start = i + 1;
    }
  }
  if (parts.length !== 3 || parts[1] === '') return undefined;
  return { username: parts[1]!, password: parts[2]! };
}

/** ANONYMOUS (RFC 4505): the trace information is not a username. */
function anonymousCredentials(): Credentials {
  return {};
}

/** Mechanism factories for one connection; `started` tells whether the peer picked one we offer. */
export function saslMechanisms(core: Core, done: SaslResult, started: () => void): Record<string, () => ServerMechanism> {
  const make = (credentialsOf: (r: Buffer | undefined) => Credentials | undefined) => (): ServerMechanism => {
    started();
    return new CoreMechanism(core, credentialsOf, done);
  };
  return { PLAIN: make(plainCredentials), ANONYMOUS: make(anonymousCredentials) };
}
