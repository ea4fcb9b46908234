import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/runtime/log.js';
import { Secret } from '../../agent/runtime/secret.js';

describe('Secret', () => {
  it('never prints its value: JSON, inspect, String, template literals, a log line', () => {
    const s = new Secret('hunter2-token');
    const loose = s as unknown as string; // what careless code would do with it
    const shown = [JSON.stringify({ token: s }), inspect({ token: s }), String(s), `${loose}`, loose + '', inspect(s, { showHidden: true, depth: 5 })];
    const lines: string[] = [];
    createLogger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } }).info('connecting', { token: s, nested: { s } });
    for (const out of [...shown, ...lines]) {
      expect(out).not.toContain('hunter2');
      expect(out).toContain('REDACTED');
    }
    expect(s.reveal()).toBe('hunter2-token');
  });
});
