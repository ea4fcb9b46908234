// A pty the agent can open as a serial port, joined by socat to a simulated RTU bus's loopback
// listener: `socat pty,raw,echo=0,link=PATH tcp:127.0.0.1:PORT`. The pty ignores the baud rate
// (the bus emulates line timing itself, modbus-server.ts). socat is a child process of hw-sim;
// without it, RTU-over-pty devices cannot start and the error says so.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyBridge {
  /** The serial device path for the agent, e.g. /tmp/rp-bus-XXXX/ttyRS485 */
  readonly path: string;
  close(): Promise<void>;
}

export class SocatMissingError extends Error {
  readonly code = 'socat_missing';
  constructor() {
    super('socat is not installed: simulated RTU devices on a pty need it (apt-get install socat); Modbus/TCP devices work without it');
    this.name = 'SocatMissingError';
  }
}

export async function ptyBridge(port: number, name = 'ttyRS485'): Promise<PtyBridge> {
  const dir = await mkdtemp(join(tmpdir(), 'rp-bus-'));
  const path = join(dir, name);
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${path}`, `tcp:127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? new SocatMissingError() : err));
    child.once('exit', (code) => resolve(new Error(`socat exited (${code ?? 'signal'}): ${stderr.trim() || 'no output'}`)));
  });
  const ready = (async () => {
    for (let i = 0; i < 250 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
    if (!existsSync(path)) throw new Error(`socat did not create ${path} within 5 s`);
  })();
  let failure: Error | undefined;
  try {
    failure = await Promise.race([ready.then(() => undefined), exited]);
  } catch (err) {
    failure = err as Error;
  }
  if (failure) {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
    throw failure;
  }
  return {
    path,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
