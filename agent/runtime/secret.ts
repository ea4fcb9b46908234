// A secret value (bearer token, private key) that never prints: JSON, util.inspect, string
// conversion and template literals all show "[REDACTED]". The value is read only where it is
// used (reveal()), so a secret that reaches a log line or a telemetry field shows as redacted.

import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The value itself; call only where it is handed to the TLS stack or a header. */
  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
