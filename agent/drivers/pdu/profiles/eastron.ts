// eastron-sdm630 and eastron-sdm120: Eastron energy meters on RTU (TCP through a gateway).
// Facts: shared/reference/modbus.md §4.2. FC04 input registers, float32 ABCD, documented in
// Modicon numbering (30001 = wire 0). Energy registers are kWh; scaled here to Wh.

const f32 = (quantity: string, address: number, unit: string, precision = -2, extra: Record<string, unknown> = {}) =>
  ({ quantity, table: 'input', address, type: 'f32', unit, precision, ...extra });
const perPhase = { channel: 'L{n}', repeat: { over: 'phases', stride: 2 } };
const kWh = (quantity: string, address: number, extra: Record<string, unknown> = {}) => f32(quantity, address, 'Wh', 0, { scale: 1000, kind: 'counter', ...extra });

const SERIAL = 'RTU; 9600 baud and unit 1 are typical, parity differs between Eastron documents (none vs even): set it per device.';

export const eastronSdm630 = {
  name: 'eastron-sdm630',
  description: 'Eastron SDM630 three-phase energy meter',
  source: `Eastron SDM630 MID V2 manual and mbmd (vendor manual + source code): FC04, float32 ABCD, wire = number − 30001, at most 40 parameters (80 registers) per request (Telegraf #8151). ${SERIAL}`,
  kind: 'meter',
  addressing: 'modicon',
  transports: ['rtu', 'rtu-over-tcp', 'tcp'],
  phases: 3,
  limits: { maxRegisters: 80, maxBits: 2000, maxGap: 16, onePerPoint: false },
  points: [
    f32('phase.voltage', 30001, 'V', -1, perPhase),
    f32('phase.current', 30007, 'A', -3, perPhase),
    f32('phase.power', 30013, 'W', -1, perPhase),
    f32('phase.apparent_power', 30019, 'VA', -1, perPhase),
    f32('phase.reactive_power', 30025, 'var', -1, perPhase),
    f32('phase.pf', 30031, '1', -3, perPhase),
    f32('inlet.power', 30053, 'W', -1),
    f32('inlet.apparent_power', 30057, 'VA', -1),
    f32('inlet.reactive_power', 30061, 'var', -1),
    f32('inlet.pf', 30063, '1', -3),
    f32('inlet.phase_angle', 30067, '°', -1),
    f32('inlet.frequency', 30071, 'Hz'),
    kWh('inlet.energy', 30073),
    kWh('inlet.energy_exported', 30075),
    kWh('inlet.reactive_energy', 30077, { unit: 'varh' }),
    kWh('inlet.reactive_energy_exported', 30079, { unit: 'varh' }),
    f32('phase.thd_voltage', 30235, '%', -1, perPhase),
    kWh('inlet.energy_total', 30343),
    kWh('phase.energy', 30347, perPhase),
  ],
};

export const eastronSdm120 = {
  name: 'eastron-sdm120',
  description: 'Eastron SDM120 single-phase energy meter',
  source: `mbmd sdm120.go (source code): the SDM630 addresses for its subset, FC04 float32 ABCD. UNVERIFIED: the 80-register request limit is assumed from the SDM630. ${SERIAL}`,
  kind: 'meter',
  addressing: 'modicon',
  transports: ['rtu', 'rtu-over-tcp', 'tcp'],
  phases: 1,
  limits: { maxRegisters: 80, maxBits: 2000, maxGap: 16, onePerPoint: false },
  points: [
    f32('phase.voltage', 30001, 'V', -1, { channel: 'L1' }),
    f32('phase.current', 30007, 'A', -3, { channel: 'L1' }),
    f32('inlet.power', 30013, 'W', -1),
    f32('inlet.apparent_power', 30019, 'VA', -1),
    f32('inlet.reactive_power', 30025, 'var', -1),
    f32('inlet.pf', 30031, '1', -3),
    f32('inlet.frequency', 30071, 'Hz'),
    kWh('inlet.energy', 30073),
    kWh('inlet.energy_exported', 30075),
    kWh('inlet.reactive_energy', 30077, { unit: 'varh' }),
    kWh('inlet.reactive_energy_exported', 30079, { unit: 'varh' }),
    kWh('inlet.energy_total', 30343),
    kWh('inlet.reactive_energy_total', 30345, { unit: 'varh' }),
  ],
};
