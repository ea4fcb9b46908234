import { describe, expect, it } from 'vitest';
import { Registry } from '../../protocols/prometheus.js';

describe('Prometheus text format', () => {
  it('renders counters, gauges and collected gauges with escaped labels', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'Things.');
    c.inc({ a: 'b"c\\d\ne' });
    c.inc({ a: 'b"c\\d\ne' }, 2);
    r.gauge('g', 'A gauge.').set(Number.NaN);
    r.gaugeFn('f', 'Collected.', () => [[{ k: 'v' }, 1.5], [{}, Number.POSITIVE_INFINITY]]);
    expect(r.render()).toBe([
      '# HELP x_total Things.', '# TYPE x_total counter', 'x_total{a="b\\"c\\\\d\\ne"} 3',
      '# HELP g A gauge.', '# TYPE g gauge', 'g NaN',
      '# HELP f Collected.', '# TYPE f gauge', 'f{k="v"} 1.5', 'f +Inf', '',
    ].join('\n'));
  });
  it('refuses bad names, kind clashes and decreasing counters', () => {
    const r = new Registry();
    expect(() => r.counter('bad-name', '')).toThrow();
    r.counter('a', '');
    expect(() => r.gauge('a', '')).toThrow();
    expect(() => r.counter('a', '').inc({}, -1)).toThrow();
  });
});
