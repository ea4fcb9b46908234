// Point values from the bytes of a planned read. Pure; shared by the driver and `diag modbus read`.

import { decodeNumber, decodeString } from '../../../protocols/modbus/values.js';
import { isBitTable } from '../modbus/client.js';
import type { ConcretePoint } from './expand.js';

/**
 * The point's value from `data` (register bytes, or one byte per bit for coil/discrete reads) at
 * `offset` registers (or bits) into the read: a number after scale and offset, or a string.
 * Throws RangeError when the data is too short (a reply that does not fit the plan).
 */
export function pointValue(p: ConcretePoint, data: Uint8Array, offset: number): number | string {
  if (isBitTable(p.table)) {
    const b = data[offset];
    if (b === undefined) throw new RangeError(`bit ${offset} is outside a ${data.length}-bit reply`);
    return b;
  }
  switch (p.type) {
    case 'string':
      return decodeString(data, offset * 2, p.count, p.placement);
    case 'bit':
      return (decodeNumber(data, offset * 2, 'u16', p.order) >> (p.bit ?? 0)) & 1;
    default: {
      const raw = decodeNumber(data, offset * 2, p.type, p.order);
      // Scaled integers: 2281 × 0.1 should read 228.1, not 228.10000000000002.
      return p.scale === 1 && p.offset === 0 ? raw : Number((raw * p.scale + p.offset).toPrecision(12));
    }
  }
}
