// Debian's mbpoll (libmodbus) as an independent Modbus master.
import { execFile } from 'node:child_process';

export interface MbpollResult {
  readonly code: number;
  readonly values: Map<number, number>;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs mbpoll once (-1) and parses its "[addr]: value" lines. Never blocks the event loop. */
export function mbpoll(args: readonly string[], timeoutMs = 10_000): Promise<MbpollResult> {
  return new Promise((resolve) => {
    execFile('mbpoll', [...args, '-1'], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const values = new Map<number, number>();
      for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?[\d.e+-]+)/gm)) values.set(Number(m[1]), Number(m[2]));
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, values, stdout, stderr });
    });
  });
}
