// rackpilot diag modbus raw (--host H:PORT | --serial DEV --baud B [--parity N|E|O]) [--unit N] --fc 1|2|3|4 --addr A --count C [--json]
import { READ_FC, isBitTable, type Table } from '../../drivers/modbus/client.js';
import { detailOf } from '../../drivers/modbus/errors.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Flags } from '../args.js';
import type { Command } from '../command.js';
import { TARGET_FLAGS, lineLabel, openTarget, style, targetSpec, timeoutOf, unitOf } from '../modbus-target.js';

const TABLE_OF_FC: Readonly<Record<number, Table>> = Object.fromEntries(Object.entries(READ_FC).map(([t, fc]) => [fc, t as Table]));

/** A non-negative integer flag; "0x3008" and "12296" both work. */
function intFlag(flags: Flags, name: string, min: number, max: number): number {
  const raw = flags[name];
  if (raw === undefined) throw new UsageError(`--${name} is required`);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}–${max} (decimal or 0x hex; got "${String(raw)}")`);
  return n;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** Header and one line per register (unsigned, hex, signed) or bit, in aligned columns. */
function rows(table: Table, address: number, data: Uint8Array): string[] {
  if (isBitTable(table)) {
    return [`${'address'.padStart(9)}  ${'hex'.padStart(6)}  value`, ...[...data].map((b, i) => `${String(address + i).padStart(9)}  ${hex(address + i)}  ${b}`)];
  }
  const out = [`${'address'.padStart(9)}  ${'hex'.padStart(6)}  ${'value'.padStart(5)}  ${'hex'.padStart(6)}  ${'signed'.padStart(6)}`];
  for (let i = 0; i < data.length / 2; i++) {
    const v = ((data[i * 2] ?? 0) << 8) | (data[i * 2 + 1] ?? 0);
    out.push(`${String(address + i).padStart(9)}  ${hex(address + i)}  ${String(v).padStart(5)}  ${hex(v)}  ${String(v > 0x7fff ? v - 0x10000 : v).padStart(6)}`);
  }
  return out;
}

export const diagModbusRawCommand: Command = {
  spec: {
    name: 'diag modbus raw',
    summary: 'read raw coils, inputs or registers',
    usage: 'rackpilot diag modbus raw (--host H:PORT | --serial DEV --baud B [--parity N|E|O]) [--unit N] --fc 1|2|3|4 --addr A --count C [--json]',
    flags: {
      ...TARGET_FLAGS,
      fc: { type: 'number', value: '1|2|3|4', help: 'function code: 1 coils, 2 discrete inputs, 3 holding registers, 4 input registers' },
      addr: { type: 'string', value: 'A', help: 'first wire address (0-based, as sent), decimal or 0x hex' },
      count: { type: 'string', value: 'C', help: 'how many registers (1–125) or bits (1–2000)', default: '1' },
      json: { type: 'boolean', help: 'print {"fc", "address", "values": [...]} as one JSON object' },
    },
    details: 'Addresses are wire addresses: documented register 30001 (Modicon) or 3000 (1-based) is 0 or 2999 here.\nRegisters print as unsigned, hex and signed. Exit 1 when the device does not answer or answers with an exception.',
  },
  async run(flags, _p, io) {
    const fc = flags['fc'];
    const table = typeof fc === 'number' ? TABLE_OF_FC[fc] : undefined;
    if (!table) throw new UsageError('--fc must be 1, 2, 3 or 4');
    const address = intFlag(flags, 'addr', 0, 65535);
    const count = intFlag(flags, 'count', 1, isBitTable(table) ? 2000 : 125);
    if (address + count > 65536) throw new UsageError('--addr + --count runs past address 65535');
    const spec = targetSpec(flags);
    const unit = unitOf(flags, 1);
    const target = openTarget(spec, timeoutOf(flags, 1000));
    let data: Uint8Array;
    try {
      data = await target.client(unit).read(table, address, count);
    } catch (err) {
      io.err.write(`FC${String(fc)} ${address}+${count} from unit ${unit} at ${lineLabel(spec)}: ${detailOf(err)}\n`);
      return EXIT_FAILURE;
    } finally {
      await target.close();
    }
    const values = isBitTable(table) ? [...data] : Array.from({ length: count }, (_, i) => ((data[i * 2] ?? 0) << 8) | (data[i * 2 + 1] ?? 0));
    if (flags['json'] === true) {
      io.out.write(JSON.stringify({ unit, fc, table, address, values }) + '\n');
      return EXIT_OK;
    }
    const s = style(io.out.isTTY);
    const [head, ...lines] = rows(table, address, data);
    io.out.write(`${s.bold(`FC${String(fc)} ${table}`)} ${address}+${count} from unit ${unit} at ${lineLabel(spec)}\n${s.dim(head ?? '')}\n${lines.join('\n')}\n`);
    return EXIT_OK;
  },
};
