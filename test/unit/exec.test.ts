// createExec with the real child_process.spawn and real processes: exit codes are results, a
// timeout or an abort kills the whole process group (grandchildren that ignore SIGTERM too).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../agent/runtime/clock.js';
import { createExec, ExecError, execSummary, type ExecStats } from '../../agent/runtime/exec.js';
import { until } from '../support/wait.js';

const stats: ExecStats = { runs: 0, timeouts: 0, unreaped: 0, maxSpawnMs: 0 };
const exec = createExec(spawn, systemClock, stats);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejection(p: Promise<unknown>): Promise<ExecError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ExecError);
  return err as ExecError;
}

/** Starts a grandchild that ignores SIGTERM and writes its pid, then waits on it. */
async function stubbornTree(): Promise<{ argv: string[]; pid: () => Promise<number> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rp-exec-'));
  const pidFile = join(dir, 'pid');
  return {
    argv: ['sh', '-c', `sh -c 'trap "" TERM; echo $$ > ${pidFile}; exec sleep 30' & wait`],
    pid: async () => Number(await until(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim() || undefined, { what: 'grandchild pid' })),
  };
}

describe('createExec', () => {
  it('returns exit code, stdout and stderr; a non-zero exit is a result', async () => {
    const r = await exec({ argv: ['sh', '-c', 'echo out; echo "first problem" >&2; exit 3'], timeoutMs: 10_000 });
    expect(r).toMatchObject({ code: 3, signal: null, stdout: 'out\n', stderr: 'first problem\n' });
    expect(execSummary(r)).toBe('out (exit 3)');
  });

  it('passes arguments as words, never through a shell', async () => {
    const r = await exec({ argv: ['printf', '%s|', 'a b', '$(id)', ';rm -rf /'], timeoutMs: 10_000 });
    expect(r.stdout).toBe('a b|$(id)|;rm -rf /|');
  });

  it('a missing program is exec_not_found', async () => {
    const err = await rejection(exec({ argv: ['/nonexistent/nvidia-smi', '-L'], timeoutMs: 10_000 }));
    expect(err.code).toBe('exec_not_found');
    expect(err.message).toContain('command not found');
  });

  it('on timeout it settles at once and SIGKILLs the whole process group', async () => {
    const tree = await stubbornTree();
    const run = exec({ argv: tree.argv, timeoutMs: 400 });
    const pid = await tree.pid();
    const err = await rejection(run);
    expect(err.code).toBe('exec_timeout');
    expect(err.retryable).toBe(true);
    await until(() => !alive(pid), { what: `grandchild ${pid} killed` });
    expect(stats.timeouts).toBeGreaterThan(0);
  });

  it('an abort cancels the run and kills the group', async () => {
    const tree = await stubbornTree();
    const ctl = new AbortController();
    const run = exec({ argv: tree.argv, timeoutMs: 60_000, signal: ctl.signal });
    const pid = await tree.pid();
    ctl.abort(new Error('cycle deadline'));
    expect((await rejection(run)).code).toBe('cancelled');
    await until(() => !alive(pid), { what: `grandchild ${pid} killed` });
    expect((await rejection(exec({ argv: ['true'], timeoutMs: 1000, signal: ctl.signal }))).code).toBe('cancelled');
  });

  it('endless output is cut at the limit and the child killed', async () => {
    const err = await rejection(exec({ argv: ['yes'], timeoutMs: 10_000, maxOutputBytes: 4096 }));
    expect(err.code).toBe('exec_output_limit');
  });
});
