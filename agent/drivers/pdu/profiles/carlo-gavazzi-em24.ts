// carlo-gavazzi-em24: Carlo Gavazzi EM24 energy analyser. Facts: shared/reference/modbus.md §4.4.
// FC04 input registers at hex wire addresses; INT32 low word first (CDAB), INT16 PF and Hz;
// scaled integers. The EM24-DIN serial format is fixed to 8N1.

const i32 = (quantity: string, address: number, unit: string, scale: number, precision: number, extra: Record<string, unknown> = {}) =>
  ({ quantity, table: 'input', address, type: 'i32', order: 'CDAB', unit, scale, precision, ...extra });
const i16 = (quantity: string, address: number, unit: string, scale: number, precision: number, extra: Record<string, unknown> = {}) =>
  ({ quantity, table: 'input', address, type: 'i16', unit, scale, precision, ...extra });
const perPhase = (stride: number) => ({ channel: 'L{n}', repeat: { over: 'phases', stride } });
const energy = { kind: 'counter' };

export const carloGavazziEm24 = {
  name: 'carlo-gavazzi-em24',
  description: 'Carlo Gavazzi EM24 three-phase energy analyser',
  source:
    'Carlo Gavazzi EM24-DIN communication protocol (vendor manual) with mbmd and Telegraf (source code): FC04 (FC03 also works), ' +
    'INT32 low word first, V ÷10, A ÷1000, W ÷10, PF ÷1000, Hz ÷10, kWh ÷10; EM24-DIN fixed to no parity and 1 stop bit. ' +
    'UNVERIFIED: that unmapped registers between 0x00 and 0x5D read without an exception (the plan reads them in one request).',
  kind: 'meter',
  addressing: 'wire',
  serial: { parity: ['none'], stopBits: [1] },
  phases: 3,
  limits: { maxRegisters: 125, maxBits: 2000, maxGap: 16, onePerPoint: false },
  points: [
    i32('phase.voltage', 0x00, 'V', 0.1, -1, perPhase(2)),
    i32('phase.current', 0x0c, 'A', 0.001, -3, perPhase(2)),
    i32('phase.power', 0x12, 'W', 0.1, -1, perPhase(2)),
    i32('inlet.power', 0x28, 'W', 0.1, -1),
    i16('phase.pf', 0x32, '1', 0.001, -3, perPhase(1)),
    i16('inlet.pf', 0x35, '1', 0.001, -3),
    i16('inlet.frequency', 0x37, 'Hz', 0.1, -1),
    i32('inlet.energy', 0x42, 'Wh', 100, 0, energy),
    i32('phase.energy', 0x46, 'Wh', 100, 0, { ...perPhase(2), ...energy }),
    i32('inlet.energy_exported', 0x5c, 'Wh', 100, 0, energy),
  ],
};
