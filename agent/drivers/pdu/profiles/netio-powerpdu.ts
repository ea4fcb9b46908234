// netio-powerpdu: NETIO PowerPDU 4C/8QS, PowerBOX and 4x (single phase, 4 or 8 outputs) over
// Modbus/TCP. Facts: shared/reference/modbus.md §4.5 (NETIO 4PS manual p.48, AN27).

const input = (quantity: string, address: number, unit: string, scale: number, precision: number, extra: Record<string, unknown> = {}) =>
  ({ quantity, table: 'input', address, type: 'u16', unit, scale, precision, ...extra });
const perOutlet = { channel: '{n}', repeat: { over: 'outlets', stride: 1 } };

export const netioPowerPdu = {
  name: 'netio-powerpdu',
  description: 'NETIO PowerPDU / PowerBOX / 4x: single phase, metered and switched outputs',
  source:
    'NETIO 4PS manual p.48 and AN27 (vendor manual): FC04 1 = Hz×100, 2 = V×10, 3 = true PF×1000, 4 = total mA, 5 = total W, 101.. ' +
    'output mA, 201.. output W, 301/302 total Wh high word first; FC03 1/2/3 = counts of DI, DO and metered DO; coils 102–109 = ' +
    'outputs 1–8 (FC01 state, FC05 switch); one request at a time (Pixilab). UNVERIFIED: whether these numbers are wire addresses ' +
    '(assumed) or 1-based; the unit id (1 assumed).',
  kind: 'pdu',
  addressing: 'wire',
  transports: ['tcp'],
  phases: 1,
  outlets: { max: 8 },
  limits: { maxRegisters: 125, maxBits: 2000, maxGap: 0, onePerPoint: false },
  outletControl: { write: 'coil', address: 102, stride: 1, verified: false },
  points: [
    { quantity: 'info.digital_inputs', table: 'holding', address: 1, type: 'u16', kind: 'info' },
    { quantity: 'info.outputs', table: 'holding', address: 2, type: 'u16', kind: 'info' },
    { quantity: 'info.metered_outputs', table: 'holding', address: 3, type: 'u16', kind: 'info' },
    input('inlet.frequency', 1, 'Hz', 0.01, -2),
    input('phase.voltage', 2, 'V', 0.1, -1, { channel: 'L1' }),
    input('inlet.pf', 3, '1', 0.001, -3),
    input('phase.current', 4, 'A', 0.001, -3, { channel: 'L1' }),
    input('inlet.power', 5, 'W', 1, 0),
    input('outlet.current', 101, 'A', 0.001, -3, perOutlet),
    input('outlet.power', 201, 'W', 1, 0, perOutlet),
    { quantity: 'inlet.energy', table: 'input', address: 301, type: 'u32', order: 'ABCD', unit: 'Wh', precision: 0, kind: 'counter' },
    { quantity: 'outlet.state', channel: '{n}', table: 'coil', address: 102, type: 'bit', unit: '1', precision: 0, kind: 'state', repeat: { over: 'outlets', stride: 1 } },
  ],
};
