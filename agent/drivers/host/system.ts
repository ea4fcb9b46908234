// The rack controller's own OS, as the host driver sees it. Only non-blocking sources
// (shared/reference/gpu-and-host.md §5.5): async reads of /proc and /sys, os.* calls that do not
// spawn, fs.statfs, and systeminformation's mem() (an async read of /proc/meminfo), loaded on
// first use so agent start-up does not pay for the package. systeminformation's currentLoad(),
// fsSize(), cpuTemperature() and time() run synchronous child processes on Linux and networkStats() reports 0 when it
// fails (unknown would read as zero), so those values come from /proc and /sys directly.

import { readdir, readFile, statfs } from 'node:fs/promises';
import { cpus, loadavg, networkInterfaces, uptime } from 'node:os';
import { join } from 'node:path';

export interface MemInfo {
  readonly total: number;
  readonly available: number;
  readonly swaptotal: number;
  readonly swapused: number;
}

export interface FsSpace {
  readonly totalBytes: number;
  readonly availableBytes: number;
  readonly freeBytes: number;
}

export interface HostSystem {
  /** Where /sys lives ("/sys"; tests give a directory tree of real files). */
  readonly sysDir: string;
  readText(path: string): Promise<string>;
  readDir(path: string): Promise<string[]>;
  statfs(path: string): Promise<FsSpace>;
  /** CPU time summed over all CPUs, ms. */
  cpuTimes(): { readonly idle: number; readonly total: number };
  loadavg(): readonly number[];
  uptimeS(): number;
  mem(): Promise<MemInfo>;
  /** Names of non-loopback interfaces with an address (the default for `interfaces`). */
  interfaces(): string[];
}

/** The real thing, for agent/main.ts. `loadMem` is systeminformation's mem(), imported lazily. */
export function realHostSystem(loadMem: () => Promise<() => Promise<MemInfo>> = defaultMemLoader): HostSystem {
  let mem: Promise<() => Promise<MemInfo>> | undefined;
  return {
    sysDir: '/sys',
    readText: (p) => readFile(p, 'utf8'),
    readDir: (p) => readdir(p),
    async statfs(p) {
      const s = await statfs(p);
      return { totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, freeBytes: s.bfree * s.bsize };
    },
    cpuTimes() {
      let idle = 0;
      let total = 0;
      for (const c of cpus()) {
        idle += c.times.idle;
        total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
      }
      return { idle, total };
    },
    loadavg: () => loadavg(),
    uptimeS: () => uptime(),
    async mem() {
      mem ??= loadMem();
      return (await mem)();
    },
    interfaces: () => Object.entries(networkInterfaces()).filter(([, addrs]) => addrs?.some((a) => !a.internal)).map(([name]) => name).sort(),
  };
}

async function defaultMemLoader(): Promise<() => Promise<MemInfo>> {
  const si = await import('systeminformation/lib/memory.js');
  return () => si.mem();
}

/** A /sys path under the system's sysDir. */
export function sys(h: HostSystem, ...parts: string[]): string {
  return join(h.sysDir, ...parts);
}
