// rackpilot diag modbus scan (--host H:PORT | --serial DEV --baud B [--parity N|E|O]) [--units 1-247] [--json]
import { EXCEPTION_NAMES } from '../../../protocols/modbus/pdu.js';
import { ModbusError, detailOf } from '../../drivers/modbus/errors.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { TARGET_FLAGS, lineLabel, openTarget, style, targetSpec, timeoutOf } from '../modbus-target.js';

/** "1-247", "1,2,10-20" → sorted unit ids. Throws UsageError. */
export function parseUnits(s: string): number[] {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const a = Number(m?.[1]);
    const b = m?.[2] === undefined ? a : Number(m[2]);
    if (!m || a < 0 || b > 255 || a > b) throw new UsageError(`--units must be ids or ranges within 0–255, e.g. 1-247 or 1,2,10-20 (got "${s}")`);
    for (let u = a; u <= b; u++) out.add(u);
  }
  return [...out].sort((x, y) => x - y);
}

interface Answer {
  readonly unit: number;
  /** 'registers' when the probe read worked, or the exception the unit answered with. */
  readonly answer: 'registers' | 'exception';
  readonly exception?: number;
  readonly value?: number;
}

export const diagModbusScanCommand: Command = {
  spec: {
    name: 'diag modbus scan',
    summary: 'list the unit ids that answer on a bus or gateway',
    usage: 'rackpilot diag modbus scan (--host H:PORT | --serial DEV --baud B [--parity N|E|O]) [--units 1-247] [--json]',
    flags: {
      ...TARGET_FLAGS,
      units: { type: 'string', value: 'LIST', help: 'unit ids to try: ranges and lists, e.g. 1-247 or 1,2,10-20', default: '1-247' },
      fc: { type: 'number', value: '3|4', help: 'probe with FC03 (holding) or FC04 (input) at --addr', default: 3 },
      addr: { type: 'number', value: 'A', help: 'register address to probe', default: 0 },
      json: { type: 'boolean', help: 'print {"units": [{unit, answer, exception?}]} as one JSON object' },
    },
    details: 'Each unit id gets one read (default timeout 200 ms); an exception reply counts as an answer:\nthe device is there, it just has no such register. Progress goes to stderr on a terminal.',
  },
  async run(flags, _p, io) {
    const units = parseUnits(String(flags['units']));
    const fc = flags['fc'] === 4 ? 4 : flags['fc'] === 3 ? 3 : undefined;
    if (!fc) throw new UsageError('--fc must be 3 or 4');
    const addr = Number(flags['addr']);
    if (!Number.isInteger(addr) || addr < 0 || addr > 65535) throw new UsageError('--addr must be 0–65535');
    const spec = targetSpec(flags);
    const target = openTarget(spec, timeoutOf(flags, 200));
    const err = io.err as NodeJS.WritableStream & { isTTY?: boolean };
    const found: Answer[] = [];
    const t0 = performance.now();
    let offline: string | undefined;
    try {
      for (const [i, unit] of units.entries()) {
        if (err.isTTY && performance.now() - t0 > 1000) err.write(`\rscanning unit ${unit} (${i + 1}/${units.length}), ${found.length} found `);
        try {
          const data = await target.client(unit).read(fc === 3 ? 'holding' : 'input', addr, 1);
          found.push({ unit, answer: 'registers', value: ((data[0] ?? 0) << 8) | (data[1] ?? 0) });
        } catch (e) {
          // 0A/0B come from a gateway: the path or the unit behind it is not there.
          if (e instanceof ModbusError && e.code === 'modbus_exception' && e.exceptionCode !== 10 && e.exceptionCode !== 11) found.push({ unit, answer: 'exception', exception: e.exceptionCode ?? 0 });
          else if (e instanceof ModbusError && e.code === 'modbus_offline') {
            offline = detailOf(e);
            break;
          }
        }
      }
    } finally {
      if (err.isTTY && performance.now() - t0 > 1000) err.write('\r\x1b[K');
      await target.close();
    }
    if (offline) {
      io.err.write(`cannot reach ${lineLabel(spec)}: ${offline}\n`);
      return EXIT_FAILURE;
    }
    if (flags['json'] === true) {
      io.out.write(JSON.stringify({ units: found }) + '\n');
      return EXIT_OK;
    }
    const s = style(io.out.isTTY);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    io.out.write(`${s.bold(`${found.length} of ${units.length} unit ids answer`)} at ${lineLabel(spec)} (FC0${fc} ${addr}, ${secs} s)\n`);
    for (const a of found) {
      const what = a.answer === 'registers' ? s.ok(`register ${addr} = ${a.value ?? 0}`) : `exception ${a.exception ?? 0} (${EXCEPTION_NAMES[a.exception ?? 0] ?? 'unknown'})`;
      io.out.write(`  unit ${String(a.unit).padStart(3)}  ${what}\n`);
    }
    return EXIT_OK;
  },
};
