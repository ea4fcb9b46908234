// A socat pty pair (two linked pseudo-terminals) for RTU tests: a peer opens one end, the agent
// the other (shared/reference/toolchain.md §5.2).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './wait.js';

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  close(): Promise<void>;
}

export async function ptyPair(): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'rp-pty-'));
  const a = join(dir, 'ttyA');
  const b = join(dir, 'ttyB');
  const child = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  await until(() => existsSync(a) && existsSync(b), { timeoutMs: 5000, what: 'socat pty pair' });
  return {
    a, b,
    async close() {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
