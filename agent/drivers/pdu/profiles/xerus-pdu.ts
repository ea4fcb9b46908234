// xerus-pdu: Raritan PX2/PX3/PX4/PXC/PXE, Legrand iPDU and ServerTech PRO3X/PRO4X (Xerus
// firmware), Modbus/TCP only. Facts: shared/reference/modbus.md §4.1 and its confidence labels.
// Outlet readings exist only on metered-outlet models (4K/5K, PRO3X/4X POPS): set `outlets: 0`
// in the device config for other models, or every poll reads registers they do not have.

const f32 = (quantity: string, address: number, unit: string, precision = -2) => ({ quantity, table: 'holding', address, type: 'f32', unit, precision });
const outlet = (quantity: string, address: number, unit: string, precision = -2) => ({ ...f32(quantity, address, unit, precision), channel: '{n}', repeat: { over: 'outlets', stride: 0x100 } });
const ocp = (quantity: string, address: number) => ({ ...f32(quantity, address, 'A'), channel: 'C{n}', repeat: { over: 'phases', stride: 0x100 } });

export const xerusPdu = {
  name: 'xerus-pdu',
  description: 'Raritan PX2/PX3/PX4, Legrand iPDU, ServerTech PRO3X/PRO4X (Xerus firmware): inlet, OCPs, outlets',
  source:
    'Vendor manual (PX2/PX3 and Xerus Modbus Interface, fw 3.6.x–4.0.40): Modbus/TCP only, FC03 holding registers, hex 0-based wire ' +
    'addresses, big-endian multi-register values, float32 readings, no FC04. Basic block at 0x0000 confirmed by an open-source Xerus ' +
    'client. UNVERIFIED (secondary: harvested from PDU_Modbus_3.6.1): the inlet 1, OCP 1 and outlet 1 register offsets; ASSUMED, not ' +
    'documented: a stride of 0x100 between OCPs and between outlets, one OCP per phase, unit id 1, and outlet n on coil n−1. Check ' +
    'strides, coils and unit id against the vendor PDF for the firmware in use before enabling outletSwitching.',
  kind: 'pdu',
  addressing: 'wire',
  transports: ['tcp'],
  order: 'ABCD',
  phases: 3,
  outlets: { max: 48 },
  limits: { maxRegisters: 125, maxBits: 2000, maxGap: 12, onePerPoint: false },
  outletControl: { write: 'coil', address: 0, stride: 1, verified: false },
  points: [
    { quantity: 'info.version', table: 'holding', address: 0x0000, type: 'u16', kind: 'info' },
    { quantity: 'info.inlets', table: 'holding', address: 0x0001, type: 'u16', kind: 'info' },
    { quantity: 'info.ocps', table: 'holding', address: 0x0002, type: 'u16', kind: 'info' },
    { quantity: 'info.outlets', table: 'holding', address: 0x0003, type: 'u16', kind: 'info' },
    { quantity: 'info.transfer_switches', table: 'holding', address: 0x0004, type: 'u16', kind: 'info' },
    f32('inlet.voltage', 0x3008, 'V', -1),
    f32('inlet.current', 0x300a, 'A'),
    f32('inlet.peak_current', 0x300c, 'A'),
    f32('inlet.unbalance', 0x3010, '%', -1),
    f32('inlet.power', 0x3012, 'W', -1),
    f32('inlet.apparent_power', 0x3014, 'VA', -1),
    f32('inlet.pf', 0x3016, '1', -3),
    f32('inlet.phase_angle', 0x3020, '°', -1),
    f32('inlet.frequency', 0x3022, 'Hz'),
    f32('inlet.reactive_power', 0x3024, 'var', -1),
    ocp('ocp.current', 0x400a),
    ocp('ocp.peak_current', 0x400c),
    outlet('outlet.voltage', 0x8008, 'V', -1),
    outlet('outlet.current', 0x800a, 'A'),
    outlet('outlet.peak_current', 0x800c, 'A'),
    outlet('outlet.inrush_current', 0x800e, 'A'),
    outlet('outlet.power', 0x8012, 'W', -1),
    outlet('outlet.apparent_power', 0x8014, 'VA', -1),
    outlet('outlet.pf', 0x8016, '1', -3),
    outlet('outlet.frequency', 0x8022, 'Hz'),
    outlet('outlet.reactive_power', 0x8024, 'var', -1),
  ],
};
