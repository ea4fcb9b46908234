// Secrets from config (passwords, tokens): a value that cannot leak by accident. Logging,
// JSON.stringify, util.inspect, template strings and String() all print "[REDACTED]"; the value
// comes out only through reveal(), at the one place that puts it on the wire.
import { inspect } from 'node:util';
import { s, Shape } from './shape.js';

const REDACTED = '[REDACTED]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself. Call it where it is sent, never where it is logged. */
  reveal(): string {
    return this.#value;
  }

  get empty(): boolean {
    return this.#value.length === 0;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

type CheckCtx = Parameters<Shape<string>['check']>[2];

/** A non-empty string in the file, a Secret in the parsed config. */
class SecretShape extends Shape<Secret> {
  readonly describe = 'a secret string';
  private readonly inner = s.string({ min: 1 });
  check(v: unknown, path: string, ctx: CheckCtx): ReturnType<Shape<Secret>['check']> {
    const r = this.inner.check(v, path, ctx);
    return typeof r === 'string' ? new Secret(r) : r;
  }
}

export function secretShape(): Shape<Secret> {
  return new SecretShape();
}
