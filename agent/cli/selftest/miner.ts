// Self-test of a miner: one read through the agent's own driver (firmware detection, every
// telemetry command), then: does it answer, is it the firmware the config names, does it take
// the configured credentials, are its readings plausible.

import type { FirmwareName } from '../../drivers/miner/data.js';
import { detectFirmware } from '../../drivers/miner/detect.js';
import type { MinerDeviceConfig } from '../../drivers/miner/config.js';
import type { MinerDriver } from '../../drivers/miner/driver.js';
import { asMinerError } from '../../drivers/miner/errors.js';
import { FIRMWARE_MODULES } from '../../drivers/miner/firmware/index.js';
import { row, type CheckRow } from '../check-table.js';
import type { DeviceResult } from './types.js';

/** Firmwares whose telemetry reads log in (so a read proves the credentials); the others check them on writes only. */
const READS_LOG_IN: ReadonlySet<FirmwareName> = new Set(['braiins', 'vnish', 'antminer']);
const WRONG_FIRMWARE = new Set(['miner_bad_reply', 'miner_status', 'miner_http', 'miner_access_denied']);

/** Where the password comes from, for the fix text. */
export function credentialSource(cfg: MinerDeviceConfig): string {
  const c = cfg.credentials;
  if (!c) return 'no credentials are configured, so the firmware\'s factory account was used: set credentials.passwordFile';
  return c.passwordFile ? `check credentials.passwordFile (${c.passwordFile})${c.user ? ` and credentials.user (${c.user})` : ''} against the miner's web password` : 'check credentials.password against the miner\'s web password (better: credentials.passwordFile)';
}

export async function probeMiner(cfg: MinerDeviceConfig, driver: MinerDriver, signal: AbortSignal): Promise<DeviceResult> {
  const r = await driver.poll(signal);
  const last = driver.last;
  const fw = driver.firmware;
  const where = `${cfg.host}:${cfg.port}`;
  const d = last?.data;
  const identity: Record<string, string | number | null> = {
    address: where, firmware: fw?.module.label ?? null, evidence: fw?.detection.evidence ?? null,
    firmwareVersion: d?.firmwareVersion ?? null, make: d?.make ?? null, model: d?.model ?? null,
  };
  const base = { id: cfg.id, kind: 'miner', identity };
  if (!last || !fw || !d) {
    const fix = `check the miner is powered, its address (${cfg.host}) and that its API port ${cfg.port} is open (some firmwares switch the API off)`;
    return { rows: [row(cfg.id, 'reach', 'fail', `${where}: ${r.error ?? 'no reply'}`, fix)], facts: { ...base, reached: false } };
  }
  // Refused logins are the credentials row's business; anything else that failed is worth a warning here.
  const other = last.failures.filter((f) => f.error.code !== 'miner_auth');
  const rows: CheckRow[] = [row(cfg.id, 'reach', other.length ? 'warn' : 'pass', `${where}: answers${other.length ? `; ${other.map((f) => `${f.source}: ${f.error.message}`).join('; ')}` : ''}`, other.length ? `rackpilot diag miner probe --host ${cfg.host} shows every command` : undefined)];
  rows.push(await identityRow(cfg, driver, signal));
  rows.push(credentialsRow(cfg, driver));
  rows.push(readingsRow(cfg, driver));
  const feed = cfg.load.feed;
  return {
    rows,
    facts: { ...base, reached: true, load: { kind: 'miner', apiW: d.powerW, estimated: d.powerSource === 'estimated', ...(feed ? { feed: { pdu: feed.pdu, outlet: feed.outlet } } : {}) } },
  };
}

async function identityRow(cfg: MinerDeviceConfig, driver: MinerDriver, signal: AbortSignal): Promise<CheckRow> {
  const fw = driver.firmware;
  const last = driver.last;
  if (!fw || !last) return row(cfg.id, 'identity', 'skip', 'not read');
  const d = last.data;
  const what = `${fw.module.label}${d.firmwareVersion ? ` ${d.firmwareVersion}` : ''}, ${d.model ?? 'model ?'}`;
  const misfit = last.failures.length > 0 && last.failures.every((f) => WRONG_FIRMWARE.has(f.error.code));
  if (cfg.firmware !== 'auto' && misfit) {
    // Ask the miner what it is, the way `firmware: auto` would.
    const actual = await driver.link.run('telemetry', signal, (io) => detectFirmware(io, { v3Port: cfg.v3Port })).catch((err: unknown) => asMinerError(err));
    const said = 'firmware' in actual ? FIRMWARE_MODULES[actual.firmware].label : `not detected (${actual.message})`;
    return row(cfg.id, 'identity', 'fail', `configured firmware: ${cfg.firmware}, but its replies do not fit; detection says ${said}`, `set firmware: ${'firmware' in actual ? actual.firmware : 'auto'} for ${cfg.id}`);
  }
  return row(cfg.id, 'identity', 'pass', `${what} (${cfg.firmware === 'auto' ? fw.detection.evidence : 'as configured'})`);
}

function credentialsRow(cfg: MinerDeviceConfig, driver: MinerDriver): CheckRow {
  const fw = driver.firmware;
  const last = driver.last;
  if (!fw || !last) return row(cfg.id, 'credentials', 'skip', 'not read');
  const refused = last.failures.find((f) => f.error.code === 'miner_auth');
  if (refused) return row(cfg.id, 'credentials', 'fail', `${fw.module.label} refused the login: ${refused.error.message}`, credentialSource(cfg));
  if (READS_LOG_IN.has(fw.module.name)) return row(cfg.id, 'credentials', 'pass', `${fw.module.label} accepted the login (${cfg.credentials ? 'configured' : 'factory'} account)`);
  return row(cfg.id, 'credentials', 'skip', `${fw.module.label} checks the password only on commands: run with --actuators to test it`);
}

function readingsRow(cfg: MinerDeviceConfig, driver: MinerDriver): CheckRow {
  const d = driver.last?.data;
  if (!d) return row(cfg.id, 'readings', 'skip', 'not read');
  const problems: string[] = [];
  const hot = Math.max(...d.boards.map((b) => b.chipTempC ?? b.boardTempC ?? 0), 0);
  if (d.state === 'error') problems.push('the miner reports an error state');
  if (d.state === 'mining' && (d.hashrateTHs ?? 0) <= 0) problems.push('mining but 0 TH/s (pool or hashboard problem)');
  if (hot >= 95) problems.push(`a board at ${hot.toFixed(0)} °C`);
  if (d.powerW !== null && cfg.load.nominalW !== undefined && d.powerW > cfg.load.nominalW * 1.3) problems.push(`draws ${d.powerW} W, more than load.nominalW ${cfg.load.nominalW} W × 1.3`);
  if (d.fans.some((f) => f.rpm === 0) && d.state === 'mining') problems.push('a fan reads 0 rpm');
  const seen = `${d.state ?? 'state ?'}, ${d.hashrateTHs === null ? '?' : d.hashrateTHs.toFixed(1)} TH/s, ${d.powerW === null ? '? W' : `${d.powerW} W${d.powerSource === 'estimated' ? ' (estimated)' : ''}`}, target ${d.powerTargetW === null ? 'none' : `${d.powerTargetW} W`}`;
  if (problems.length) return row(cfg.id, 'readings', 'warn', `${seen}: ${problems.join('; ')}`, `look at the miner: rackpilot diag miner probe --host ${cfg.host}`);
  return row(cfg.id, 'readings', 'pass', seen);
}
