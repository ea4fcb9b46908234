// What a simulated Modbus device answers, independent of transport (TCP here; RTU uses the same
// interface). A number returned instead of data is a Modbus exception code.

export type RegisterTable = 'holding' | 'input';
export type BitTable = 'coil' | 'discrete';

export interface ModbusSlave {
  /** Unit ids this device answers; requests for other ids get no reply. */
  readonly units: readonly number[];
  readRegisters(table: RegisterTable, address: number, count: number): Buffer | number;
  readBits(table: BitTable, address: number, count: number): boolean[] | number;
  writeCoil(address: number, on: boolean): true | number;
  writeRegister(address: number, value: number): true | number;
}

export const EXC = { illegalFunction: 1, illegalAddress: 2, illegalValue: 3, deviceFailure: 4, busy: 6 } as const;
