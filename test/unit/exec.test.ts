// createExec and createExecStream with the real child_process.spawn and real processes: exit
// codes are results, a timeout, an abort or a kill ends the whole process group (grandchildren
// that ignore SIGTERM too); a stream hands over lines as they come, across chunk boundaries.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../agent/runtime/clock.js';
import { createExec, createExecStream, ExecError, execSummary, type ExecStats, type ExecStreamEnd } from '../../agent/runtime/exec.js';
import { until } from '../support/wait.js';

const stats: ExecStats = { runs: 0, timeouts: 0, unreaped: 0, maxSpawnMs: 0 };
const exec = createExec(spawn, systemClock, stats);
const execStream = createExecStream(spawn, systemClock, stats);

/** Starts a stream that records its lines. */
function streamOf(argv: string[], maxLineLength?: number): { out: string[]; err: string[]; ended: Promise<ExecStreamEnd>; kill: (why: string) => void } {
  const out: string[] = [];
  const err: string[] = [];
  const h = execStream({ argv, onStdout: (l) => out.push(l), onStderr: (l) => err.push(l), ...(maxLineLength ? { maxLineLength } : {}) });
  return { out, err, ended: h.ended, kill: (why) => h.kill(why) };
}

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

describe('createExecStream', () => {
  it('hands over stdout lines as they arrive, whatever the chunks; CRLF and a last unterminated line; the exit', async () => {
    const go = join(await mkdtemp(join(tmpdir(), 'rp-stream-')), 'go');
    const s = streamOf(['sh', '-c', `printf "a"; sleep 0.2; printf "b\\nc"; sleep 0.2; printf "\\r\\n\\n"; echo oops >&2; while [ ! -e ${go} ]; do sleep 0.02; done; printf "d"; exit 3`]);
    let exited = false;
    void s.ended.then(() => (exited = true));
    await until(() => s.out.length >= 3 || undefined, { what: 'the first lines, while the child runs' });
    expect(exited).toBe(false); // the child waits for the file below
    expect(s.out).toEqual(['ab', 'c', '']);
    await writeFile(go, '');
    expect(await s.ended).toEqual({ code: 3, signal: null });
    expect(s.out).toEqual(['ab', 'c', '', 'd']);
    expect(s.err).toEqual(['oops']);
  });

  it('kill() ends it at once and SIGKILLs the whole process group; nothing is delivered afterwards', async () => {
    const tree = await stubbornTree();
    const s = streamOf(['sh', '-c', `(while true; do echo tick; sleep 0.05; done) & ${tree.argv[2]}`]);
    const pid = await tree.pid();
    await until(() => s.out.length > 0 || undefined, { what: 'a first line' });
    s.kill('test over');
    const end = await s.ended;
    expect(end.error?.code).toBe('cancelled');
    expect(end.error?.message).toContain('test over');
    const seen = s.out.length;
    await until(() => !alive(pid), { what: `grandchild ${pid} killed` });
    await new Promise((r) => setTimeout(r, 150));
    expect(s.out).toHaveLength(seen);
  });

  it('a line over the limit ends the stream (exec_output_limit) and kills the child', async () => {
    const s = streamOf(['sh', '-c', 'echo short; while true; do printf "xxxxxxxxxx"; done'], 1000);
    const end = await s.ended;
    expect(end.error?.code).toBe('exec_output_limit');
    expect(end.error?.message).toContain('a stdout line longer than 1000 characters');
    expect(s.out).toEqual(['short']);
  });

  it('a missing program ends it with exec_not_found, not an exception', async () => {
    const end = await streamOf(['/nonexistent/nvidia-smi', '-lms', '500']).ended;
    expect(end).toMatchObject({ code: null, error: { code: 'exec_not_found' } });
  });
});
