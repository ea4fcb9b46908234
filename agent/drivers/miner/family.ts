// The `miner` device family: ASIC miners over their own APIs (docs/miners.md).
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { DEFAULT_MAX_REPLY_BYTES } from '../../../protocols/cgminer/framing.js';
import { Secret } from '../../config/secret.js';
import type { DeviceFamily } from '../family.js';
import type { MinerDeviceConfig } from './config.js';
import { MinerDriver } from './driver.js';
import { MinerLink } from './link.js';

export interface ResolvedMiner {
  readonly password: Secret | undefined;
}

export const minerFamily: DeviceFamily<MinerDeviceConfig, ResolvedMiner> = {
  async resolve(d, ctx) {
    const file = d.credentials?.passwordFile;
    if (!file) return { ok: true, value: { password: d.credentials?.password } };
    try {
      const first = (await readFile(resolvePath(ctx.baseDir, file), 'utf8')).split(/\r?\n/)[0]?.trim() ?? '';
      if (!first) return { ok: false, issues: [{ path: `${ctx.path}.credentials.passwordFile`, reason: `${file} is empty` }] };
      return { ok: true, value: { password: new Secret(first) } };
    } catch (err) {
      return { ok: false, issues: [{ path: `${ctx.path}.credentials.passwordFile`, reason: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
    }
  },
  create(d, resolved, deps) {
    const http = deps.http;
    if (!http) throw new Error('the miner family needs DriverDeps.http (built in agent/main.ts)');
    const link = new MinerLink(
      {
        host: d.host, port: d.port, httpPort: d.httpPort, v3Port: d.v3Port, connectTimeoutMs: d.connectTimeoutMs, timeoutMs: d.timeoutMs,
        writeTimeoutMs: d.writeTimeoutMs, gapMs: d.gapMs, breakerFailures: d.breaker.failures, breakerOpenMs: d.breaker.openMs, maxReplyBytes: DEFAULT_MAX_REPLY_BYTES,
      },
      { dial: deps.dial, http, clock: deps.clock },
    );
    const password = resolved.password;
    return new MinerDriver(
      {
        id: d.id, firmware: d.firmware, boards: d.boards, fans: d.fans, v3Port: d.v3Port, labels: d.labels,
        ...(password ? { credentials: { password, ...(d.credentials?.user ? { user: d.credentials.user } : {}) } } : {}),
        ...(d.load.nominalW !== undefined ? { nominalW: d.load.nominalW } : {}),
        ...(d.powerTargetW ? { powerTargetW: d.powerTargetW } : {}),
        schedule: { intervalMs: d.pollIntervalMs, concurrency: d.concurrency },
        staleAfterMs: d.staleAfterMs,
      },
      link,
      deps.clock,
    );
  },
};
