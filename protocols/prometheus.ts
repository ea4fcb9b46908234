// Prometheus text exposition format (version 0.0.4): a tiny registry of counters and gauges
// with labels, rendered on demand. Shared by the agent's and the hub's /metrics endpoints.

export type Labels = Readonly<Record<string, string>>;

type Kind = 'counter' | 'gauge';

interface Family {
  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  readonly values: Map<string, { labels: Labels; value: number }>;
  collect?: () => Iterable<[Labels, number]>;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}=${labels[k] ?? ''}`).join('\u0000');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Counter {
  constructor(private readonly family: Family) {}
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new RangeError(`counter ${this.family.name} cannot decrease`);
    const key = labelKey(labels);
    const cur = this.family.values.get(key);
    if (cur) cur.value += by;
    else this.family.values.set(key, { labels: { ...labels }, value: by });
  }
  get(labels: Labels = {}): number {
    return this.family.values.get(labelKey(labels))?.value ?? 0;
  }
}

export class Gauge {
  constructor(private readonly family: Family) {}
  set(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    const cur = this.family.values.get(key);
    if (cur) cur.value = value;
    else this.family.values.set(key, { labels: { ...labels }, value });
  }
  /** Removes a labelled series (a device that went away). */
  remove(labels: Labels): void {
    this.family.values.delete(labelKey(labels));
  }
  get(labels: Labels = {}): number | undefined {
    return this.family.values.get(labelKey(labels))?.value;
  }
}

export class Registry {
  private readonly families = new Map<string, Family>();

  private family(name: string, help: string, kind: Kind): Family {
    if (!NAME_RE.test(name)) throw new Error(`invalid metric name ${name}`);
    const existing = this.families.get(name);
    if (existing) {
      if (existing.kind !== kind) throw new Error(`metric ${name} already registered as ${existing.kind}`);
      return existing;
    }
    const f: Family = { name, help, kind, values: new Map() };
    this.families.set(name, f);
    return f;
  }

  counter(name: string, help: string): Counter {
    return new Counter(this.family(name, help, 'counter'));
  }

  gauge(name: string, help: string): Gauge {
    return new Gauge(this.family(name, help, 'gauge'));
  }

  /** A gauge whose samples are computed at scrape time. */
  gaugeFn(name: string, help: string, collect: () => Iterable<[Labels, number]>): void {
    this.family(name, help, 'gauge').collect = collect;
  }

  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      out.push(`# TYPE ${f.name} ${f.kind}`);
      const samples: Iterable<{ labels: Labels; value: number }> = f.collect
        ? Array.from(f.collect(), ([labels, value]) => ({ labels, value }))
        : f.values.values();
      for (const { labels, value } of samples) {
        const keys = Object.keys(labels);
        const l = keys.length ? `{${keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',')}}` : '';
        out.push(`${f.name}${l} ${formatValue(value)}`);
      }
    }
    return out.join('\n') + '\n';
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
