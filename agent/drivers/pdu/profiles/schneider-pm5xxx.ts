// schneider-pm5xxx: Schneider PowerLogic PM5100/5300/5500 (and iEM3xxx readings). Facts:
// shared/reference/modbus.md §4.3. FC03 holding registers, float32 ABCD, power in kW (scaled to
// W here), energy INT64 Wh; documented 1-based (register 3000 = wire 2999). Through a PM55xx or
// PM8000 gateway, unit 255 is the meter itself and other unit ids reach meters on its RS-485.

const f32 = (quantity: string, address: number, unit: string, precision = -2, extra: Record<string, unknown> = {}) =>
  ({ quantity, table: 'holding', address, type: 'f32', unit, precision, ...extra });
const perPhase = { channel: 'L{n}', repeat: { over: 'phases', stride: 2 } };
const kW = { scale: 1000 };
const i64 = (quantity: string, address: number, unit: string) => ({ quantity, table: 'holding', address, type: 'i64', unit, precision: 0, kind: 'counter' });

export const schneiderPm5xxx = {
  name: 'schneider-pm5xxx',
  description: 'Schneider PowerLogic PM5100/PM5300/PM5500 power meter',
  source:
    'SolarNetwork PM5100Register.java and mbmd iem3000.go (source code), PM5500/PM8000 manuals for the gateway unit 255 (vendor manual): ' +
    'FC03, float32 ABCD, kW, INT64 Wh energy, wire = number − 1. The power factor (register 3084) is left out: it uses Schneider\'s ' +
    'four-quadrant encoding, which needs the vendor decode rule. UNVERIFIED: reading across unmapped registers between 3000 and 3110 ' +
    '(the reference says the range fits one 125-register read).',
  kind: 'meter',
  addressing: 'one-based',
  phases: 3,
  limits: { maxRegisters: 125, maxBits: 2000, maxGap: 34, onePerPoint: false },
  points: [
    { quantity: 'info.name', table: 'holding', address: 30, type: 'string', registers: 20, kind: 'info' },
    { quantity: 'info.model', table: 'holding', address: 90, type: 'u16', kind: 'info' },
    { quantity: 'info.serial', table: 'holding', address: 130, type: 'u32', kind: 'info' },
    f32('phase.current', 3000, 'A', -3, perPhase),
    f32('neutral.current', 3006, 'A', -3),
    f32('line.voltage', 3020, 'V', -1, { channel: 'L1-L2' }),
    f32('line.voltage', 3022, 'V', -1, { channel: 'L2-L3' }),
    f32('line.voltage', 3024, 'V', -1, { channel: 'L3-L1' }),
    f32('phase.voltage', 3028, 'V', -1, perPhase),
    f32('phase.power', 3054, 'W', -1, { ...perPhase, ...kW }),
    f32('inlet.power', 3060, 'W', -1, kW),
    f32('inlet.reactive_power', 3068, 'var', -1, kW),
    f32('inlet.apparent_power', 3076, 'VA', -1, kW),
    f32('inlet.frequency', 3110, 'Hz'),
    i64('inlet.energy', 3204, 'Wh'),
    i64('inlet.energy_exported', 3208, 'Wh'),
    i64('inlet.reactive_energy', 3220, 'varh'),
    i64('inlet.reactive_energy_exported', 3224, 'varh'),
    i64('inlet.apparent_energy', 3236, 'VAh'),
    i64('inlet.apparent_energy_exported', 3240, 'VAh'),
  ],
};
