// Secrets in the config (passwords, tokens): parsed into runtime/secret.ts's Secret, a value that
// cannot leak by accident (logging, JSON.stringify, util.inspect, template strings and String()
// all print "[REDACTED]"); the value comes out only through reveal(), where it goes on the wire.
import { Secret } from '../runtime/secret.js';
import { s, Shape } from './shape.js';

export { Secret };

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
