// Runs test/support/pymodbus_server.py (Debian's python3-pymodbus 3.0) as an independent Modbus
// server, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface PymodbusCase {
  readonly address?: number;
  readonly coil?: number;
  readonly type?: string;
  readonly order?: string;
  readonly registers?: number;
  readonly value: number | string | boolean;
}

export interface PymodbusServer {
  readonly port: number;
  stop(): Promise<void>;
}

/** mode: tcp | rtu-over-tcp | rtu:PATH:BAUD:PARITY (N/E/O) */
export function startPymodbus(mode: string, cases: readonly PymodbusCase[]): Promise<PymodbusServer> {
  const child: ChildProcess = spawn('/usr/bin/python3', [join(import.meta.dirname, 'pymodbus_server.py'), mode, JSON.stringify(cases)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`pymodbus server did not start: ${stderr}`));
    }, 10_000);
    child.once('exit', (code) => reject(new Error(`pymodbus server exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const msg = JSON.parse(line) as { port?: number };
      resolve({ port: msg.port ?? 0, stop });
    });
  });
}
