// A device's register space rendered from the physics at one instant: typed values written at
// wire addresses, and the address ranges the device answers. Reads outside those ranges get
// exception 02 like a real device; unmapped registers inside a range read as 0.

import { encodeNumber, encodeString, type ValueType, type WordOrder } from '../../protocols/modbus/values.js';
import { EXC } from './modbus-slave.js';

type NumericType = Exclude<ValueType, 'string' | 'bit'>;

export class RegisterImage {
  private readonly regs: Buffer;

  /** `ranges`: [start, end) wire address ranges the device answers. */
  constructor(private readonly ranges: readonly (readonly [number, number])[]) {
    this.regs = Buffer.alloc(Math.max(...ranges.map((r) => r[1])) * 2);
  }

  set(address: number, type: NumericType, value: number, order: WordOrder = 'ABCD'): this {
    encodeNumber(value, type, order).copy(this.regs, address * 2);
    return this;
  }

  setString(address: number, registers: number, text: string): this {
    encodeString(text, registers).copy(this.regs, address * 2);
    return this;
  }

  read(address: number, count: number): Buffer | number {
    const ok = this.ranges.some(([a, b]) => address >= a && address + count <= b);
    return ok ? this.regs.subarray(address * 2, (address + count) * 2) : EXC.illegalAddress;
  }
}
