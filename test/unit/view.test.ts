import { describe, expect, it } from 'vitest';
import { fitLine, terminalFit } from '../../agent/cli/view.js';

// eslint-disable-next-line no-control-regex -- terminal colour codes start with ESC
const visible = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('live view lines fit the terminal', () => {
  it('leaves a line that fits alone, colour codes taking no room', () => {
    const line = `  \x1b[32mup\x1b[0m ${'x'.repeat(74)}`;
    expect(visible(line)).toHaveLength(79);
    expect(fitLine(line, 80)).toBe(line);
  });

  it('cuts a longer line to the width with an ellipsis, and ends the colour it cut into', () => {
    const cut = fitLine(`  miner-02 \x1b[33m${'y'.repeat(100)}\x1b[0m target 1900 W`, 40);
    expect(visible(cut)).toHaveLength(40);
    expect(visible(cut).endsWith('y…')).toBe(true);
    expect(cut.endsWith('\x1b[0m')).toBe(true);
    expect(fitLine('█'.repeat(50), 20)).toBe(`${'█'.repeat(19)}…`);
  });

  it('cuts only on a terminal that says its width (a pipe or a file keeps whole lines)', () => {
    expect(terminalFit({ out: { isTTY: true, columns: 100 } })).toEqual({ fitTo: 100 });
    expect(terminalFit({ out: { isTTY: false, columns: 100 } })).toEqual({});
    expect(terminalFit({ out: { isTTY: true, columns: 0 } })).toEqual({});
  });
});
