// A small typed schema language for configuration and device profiles. One definition gives the
// TypeScript type (Infer<…>), the defaults and the validation. Validation collects every problem
// with its path and a one-line reason; unknown keys are rejected, never ignored, and nothing is
// "fixed" silently.

export interface Issue {
  /** e.g. "devices[1].transport.port" */
  readonly path: string;
  readonly reason: string;
}

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(
    readonly issues: readonly Issue[],
    readonly source?: string,
  ) {
    super(formatIssues(issues, source));
    this.name = 'ConfigError';
  }
}

export function formatIssues(issues: readonly Issue[], source?: string): string {
  const prefix = source ? `${source}: ` : '';
  return issues.map((i) => `${prefix}${i.path || '(top)'}: ${i.reason}`).join('\n');
}

class Ctx {
  readonly issues: Issue[] = [];
  add(path: string, reason: string): void {
    this.issues.push({ path, reason });
  }
}

/** Marker returned when a value is invalid; the issue has been recorded. */
const INVALID: unique symbol = Symbol('invalid');
type Out<T> = T | typeof INVALID;

export abstract class Shape<T> {
  /** True when the key may be omitted in an object. */
  get optional(): boolean {
    return false;
  }
  abstract readonly describe: string;
  abstract check(v: unknown, path: string, ctx: Ctx): Out<T>;

  parse(v: unknown, source?: string): T {
    const ctx = new Ctx();
    const out = this.check(v, '', ctx);
    if (ctx.issues.length || out === INVALID) throw new ConfigError(ctx.issues.length ? ctx.issues : [{ path: '', reason: 'invalid' }], source);
    return out;
  }

  /** Wraps with a default used when the key is missing (or null). */
  default(value: T): Shape<T> {
    return new DefaultShape(this, value);
  }

  /** Marks the key as optional: absent → undefined. */
  opt(): Shape<T | undefined> {
    return new OptionalShape(this);
  }

  /** An extra check on the parsed value; return a reason to reject it. */
  refine(fn: (v: T) => string | undefined): Shape<T> {
    return new RefineShape(this, fn);
  }
}

export type Infer<S> = S extends Shape<infer T> ? T : never;

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined) return String(v);
  return typeof v;
}

function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

class DefaultShape<T> extends Shape<T> {
  override get optional(): boolean {
    return true;
  }
  constructor(private readonly inner: Shape<T>, private readonly value: T) {
    super();
  }
  get describe(): string {
    return this.inner.describe;
  }
  check(v: unknown, path: string, ctx: Ctx): Out<T> {
    if (v === undefined || v === null) return structuredClone(this.value);
    return this.inner.check(v, path, ctx);
  }
}

class OptionalShape<T> extends Shape<T | undefined> {
  override get optional(): boolean {
    return true;
  }
  constructor(private readonly inner: Shape<T>) {
    super();
  }
  get describe(): string {
    return this.inner.describe;
  }
  check(v: unknown, path: string, ctx: Ctx): Out<T | undefined> {
    if (v === undefined || v === null) return undefined;
    return this.inner.check(v, path, ctx);
  }
}

class RefineShape<T> extends Shape<T> {
  constructor(private readonly inner: Shape<T>, private readonly fn: (v: T) => string | undefined) {
    super();
  }
  override get optional(): boolean {
    return this.inner.optional;
  }
  get describe(): string {
    return this.inner.describe;
  }
  check(v: unknown, path: string, ctx: Ctx): Out<T> {
    const out = this.inner.check(v, path, ctx);
    if (out === INVALID) return out;
    const reason = this.fn(out);
    if (reason) {
      ctx.add(path, reason);
      return INVALID;
    }
    return out;
  }
}

class StringShape extends Shape<string> {
  constructor(private readonly opts: { pattern?: RegExp; patternHint?: string; min?: number; max?: number }) {
    super();
  }
  get describe(): string {
    return 'a string';
  }
  check(v: unknown, path: string, ctx: Ctx): Out<string> {
    if (typeof v !== 'string') {
      ctx.add(path, `must be a string (got ${show(v)})`);
      return INVALID;
    }
    if (this.opts.min !== undefined && v.length < this.opts.min) {
      ctx.add(path, this.opts.min === 1 ? 'must not be empty' : `must be at least ${this.opts.min} characters`);
      return INVALID;
    }
    if (this.opts.max !== undefined && v.length > this.opts.max) {
      ctx.add(path, `must be at most ${this.opts.max} characters`);
      return INVALID;
    }
    if (this.opts.pattern && !this.opts.pattern.test(v)) {
      ctx.add(path, `must be ${this.opts.patternHint ?? `like ${String(this.opts.pattern)}`} (got ${show(v)})`);
      return INVALID;
    }
    return v;
  }
}

class NumberShape extends Shape<number> {
  constructor(private readonly opts: { int?: boolean; min?: number; max?: number; unit?: string }) {
    super();
  }
  get describe(): string {
    return this.opts.int ? 'an integer' : 'a number';
  }
  check(v: unknown, path: string, ctx: Ctx): Out<number> {
    const { int, min, max, unit } = this.opts;
    const u = unit ? ` ${unit}` : '';
    if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v))) {
      const range = min !== undefined && max !== undefined ? ` ${min}–${max}${u}` : '';
      ctx.add(path, `must be ${int ? 'an integer' : 'a number'}${range} (got ${show(v)})`);
      return INVALID;
    }
    if (min !== undefined && v < min) {
      ctx.add(path, `must be ≥ ${min}${u} (got ${v})`);
      return INVALID;
    }
    if (max !== undefined && v > max) {
      ctx.add(path, `must be ≤ ${max}${u} (got ${v})`);
      return INVALID;
    }
    return v;
  }
}

class BooleanShape extends Shape<boolean> {
  readonly describe = 'true or false';
  check(v: unknown, path: string, ctx: Ctx): Out<boolean> {
    if (typeof v !== 'boolean') {
      ctx.add(path, `must be true or false (got ${show(v)})`);
      return INVALID;
    }
    return v;
  }
}

class EnumShape<T extends string> extends Shape<T> {
  constructor(private readonly values: readonly T[]) {
    super();
  }
  get describe(): string {
    return `one of ${this.values.join(', ')}`;
  }
  check(v: unknown, path: string, ctx: Ctx): Out<T> {
    if (typeof v !== 'string' || !(this.values as readonly string[]).includes(v)) {
      ctx.add(path, `must be one of ${this.values.join(', ')} (got ${show(v)})`);
      return INVALID;
    }
    return v as T;
  }
}

class ArrayShape<T> extends Shape<T[]> {
  constructor(private readonly item: Shape<T>, private readonly opts: { min?: number; max?: number }) {
    super();
  }
  get describe(): string {
    return `a list of ${this.item.describe}`;
  }
  check(v: unknown, path: string, ctx: Ctx): Out<T[]> {
    if (!Array.isArray(v)) {
      ctx.add(path, `must be a list (got ${show(v)})`);
      return INVALID;
    }
    if (this.opts.min !== undefined && v.length < this.opts.min) {
      ctx.add(path, this.opts.min === 1 ? 'must have at least one entry' : `must have at least ${this.opts.min} entries`);
      return INVALID;
    }
    if (this.opts.max !== undefined && v.length > this.opts.max) {
      ctx.add(path, `must have at most ${this.opts.max} entries (got ${v.length})`);
      return INVALID;
    }
    let bad = false;
    const out = v.map((x, i) => {
      const r = this.item.check(x, at(path, i), ctx);
      if (r === INVALID) bad = true;
      return r;
    });
    return bad ? INVALID : (out as T[]);
  }
}

type ShapeMap = Record<string, Shape<unknown>>;
type OptionalKeys<M extends ShapeMap> = { [K in keyof M]: undefined extends Infer<M[K]> ? K : never }[keyof M];
type RequiredKeys<M extends ShapeMap> = Exclude<keyof M, OptionalKeys<M>>;
export type ObjectOf<M extends ShapeMap> = { [K in RequiredKeys<M>]: Infer<M[K]> } & { [K in OptionalKeys<M>]?: Infer<M[K]> };

class ObjectShape<M extends ShapeMap> extends Shape<ObjectOf<M>> {
  constructor(readonly fields: M) {
    super();
  }
  get describe(): string {
    return 'a mapping';
  }
  check(v: unknown, path: string, ctx: Ctx): Out<ObjectOf<M>> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.add(path, `must be a mapping (got ${show(v)})`);
      return INVALID;
    }
    const rec = v as Record<string, unknown>;
    let bad = false;
    for (const k of Object.keys(rec)) {
      if (!Object.hasOwn(this.fields, k)) {
        const known = Object.keys(this.fields);
        // The closest known key within two edits (case-insensitive equality first).
        const near = known.find((n) => n.toLowerCase() === k.toLowerCase())
          ?? known.map((n) => [n, editDistance(n, k)] as const).filter(([, d]) => d <= 2).sort((a, b) => a[1] - b[1])[0]?.[0];
        ctx.add(at(path, k), `unknown key${near ? ` (did you mean "${near}"?)` : `; known keys: ${known.join(', ')}`}`);
        bad = true;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, shape] of Object.entries(this.fields)) {
      const raw = rec[k];
      if ((raw === undefined || raw === null) && !shape.optional) {
        ctx.add(at(path, k), `is required (${shape.describe})`);
        bad = true;
        continue;
      }
      const r = shape.check(raw, at(path, k), ctx);
      if (r === INVALID) bad = true;
      else if (r !== undefined) out[k] = r;
    }
    return bad ? INVALID : (out as ObjectOf<M>);
  }
}

/** A mapping with free-form keys (labels, per-phase settings). */
class RecordShape<T> extends Shape<Record<string, T>> {
  constructor(private readonly key: Shape<string>, private readonly value: Shape<T>) {
    super();
  }
  get describe(): string {
    return `a mapping of ${this.value.describe}`;
  }
  check(v: unknown, path: string, ctx: Ctx): Out<Record<string, T>> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.add(path, `must be a mapping (got ${show(v)})`);
      return INVALID;
    }
    let bad = false;
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (this.key.check(k, at(path, k), ctx) === INVALID) {
        bad = true;
        continue;
      }
      const r = this.value.check(x, at(path, k), ctx);
      if (r === INVALID) bad = true;
      else out[k] = r;
    }
    return bad ? INVALID : out;
  }
}

/** A union chosen by a string tag field, e.g. transport.type: tcp | rtu. */
class TaggedShape<K extends string, M extends Record<string, Shape<object>>> extends Shape<{ [T in keyof M]: Infer<M[T]> & Record<K, T> }[keyof M]> {
  constructor(private readonly tag: K, private readonly variants: M) {
    super();
  }
  get describe(): string {
    return `a mapping with ${this.tag}: ${Object.keys(this.variants).join(' | ')}`;
  }
  check(v: unknown, path: string, ctx: Ctx): Out<{ [T in keyof M]: Infer<M[T]> & Record<K, T> }[keyof M]> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.add(path, `must be a mapping (got ${show(v)})`);
      return INVALID;
    }
    const rec = v as Record<string, unknown>;
    const t = rec[this.tag];
    if (typeof t !== 'string' || !Object.hasOwn(this.variants, t)) {
      ctx.add(at(path, this.tag), `must be one of ${Object.keys(this.variants).join(', ')} (got ${show(t)})`);
      return INVALID;
    }
    const { [this.tag]: _tag, ...rest } = rec;
    const shape = this.variants[t] as Shape<object>;
    const r = shape.check(rest, path, ctx);
    if (r === INVALID) return INVALID;
    return { ...r, [this.tag]: t } as { [T in keyof M]: Infer<M[T]> & Record<K, T> }[keyof M];
  }
}

/** "host:port" → { host, port } (IPv6 in brackets: "[::1]:502"). */
class HostPortShape extends Shape<{ host: string; port: number }> {
  constructor(private readonly allowZero: boolean) {
    super();
  }
  readonly describe = 'host:port';
  check(v: unknown, path: string, ctx: Ctx): Out<{ host: string; port: number }> {
    const parsed = typeof v === 'string' ? parseHostPort(v) : undefined;
    if (!parsed || (!this.allowZero && parsed.port === 0)) {
      ctx.add(path, `must be host:port with port ${this.allowZero ? 0 : 1}–65535 (got ${show(v)})`);
      return INVALID;
    }
    return parsed;
  }
}

export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] ?? 0;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] ?? 0;
      dp[j] = Math.min((dp[j] ?? 0) + 1, (dp[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] ?? 0;
}

export const s = {
  string: (opts: { pattern?: RegExp; patternHint?: string; min?: number; max?: number } = {}) => new StringShape(opts),
  id: () => new StringShape({ pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, patternHint: 'an id of letters, digits, "_", "." and "-" (up to 64)' }),
  number: (opts: { min?: number; max?: number; unit?: string } = {}) => new NumberShape(opts),
  int: (opts: { min?: number; max?: number; unit?: string } = {}) => new NumberShape({ ...opts, int: true }),
  boolean: () => new BooleanShape(),
  enum: <T extends string>(values: readonly T[]) => new EnumShape<T>(values),
  array: <T>(item: Shape<T>, opts: { min?: number; max?: number } = {}) => new ArrayShape(item, opts),
  object: <M extends ShapeMap>(fields: M) => new ObjectShape(fields),
  record: <T>(value: Shape<T>, key: Shape<string> = new StringShape({ min: 1 })) => new RecordShape(key, value),
  tagged: <K extends string, M extends Record<string, Shape<object>>>(tag: K, variants: M) => new TaggedShape(tag, variants),
  hostPort: (opts: { allowZero?: boolean } = {}) => new HostPortShape(opts.allowZero ?? false),
};
