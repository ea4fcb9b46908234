// rackpilot-sim-pdu: the register map of hw-sim's reference PDU (docs/hw-sim.md, "PDU register
// map"). A three-phase metered and switched PDU; holding registers, big-endian (ABCD), wire
// addresses 0-based; reserved registers inside a block read as 0, so reads may span them.

export const rackpilotSimPdu = {
  name: 'rackpilot-sim-pdu',
  description: 'hw-sim reference PDU: 3-phase, per-outlet metering and switching',
  source: 'docs/hw-sim.md (map version 1), cross-checked with mbpoll in test/contract',
  kind: 'pdu',
  addressing: 'wire',
  order: 'ABCD',
  phases: 3,
  outlets: { max: 48 },
  limits: { maxRegisters: 125, maxBits: 2000, maxGap: 16, onePerPoint: false },
  outletControl: { write: 'coil', address: 0, stride: 1, verified: true },
  points: [
    { quantity: 'info.map_version', table: 'holding', address: 0x0000, type: 'u16', kind: 'info' },
    { quantity: 'info.phases', table: 'holding', address: 0x0001, type: 'u16', kind: 'info' },
    { quantity: 'info.outlets', table: 'holding', address: 0x0002, type: 'u16', kind: 'info' },
    { quantity: 'info.breaker', table: 'holding', address: 0x0003, type: 'u16', unit: 'A', kind: 'info' },
    { quantity: 'inlet.power', table: 'holding', address: 0x0010, type: 'f32', unit: 'W', precision: -1 },
    { quantity: 'inlet.apparent_power', table: 'holding', address: 0x0012, type: 'f32', unit: 'VA', precision: -1 },
    { quantity: 'inlet.energy', table: 'holding', address: 0x0014, type: 'u32', unit: 'Wh', precision: 0, kind: 'counter' },
    { quantity: 'inlet.frequency', table: 'holding', address: 0x0016, type: 'f32', unit: 'Hz', precision: -2 },
    { quantity: 'phase.voltage', channel: 'L{n}', table: 'holding', address: 0x0020, type: 'f32', unit: 'V', precision: -1, repeat: { over: 'phases', stride: 0x10 } },
    { quantity: 'phase.current', channel: 'L{n}', table: 'holding', address: 0x0022, type: 'f32', unit: 'A', precision: -2, repeat: { over: 'phases', stride: 0x10 } },
    { quantity: 'phase.power', channel: 'L{n}', table: 'holding', address: 0x0024, type: 'f32', unit: 'W', precision: -1, repeat: { over: 'phases', stride: 0x10 } },
    { quantity: 'phase.pf', channel: 'L{n}', table: 'holding', address: 0x0028, type: 'f32', unit: '1', precision: -3, repeat: { over: 'phases', stride: 0x10 } },
    { quantity: 'phase.energy', channel: 'L{n}', table: 'holding', address: 0x002a, type: 'u32', unit: 'Wh', precision: 0, kind: 'counter', repeat: { over: 'phases', stride: 0x10 } },
    { quantity: 'outlet.current', channel: '{n}', table: 'holding', address: 0x0100, type: 'f32', unit: 'A', precision: -2, repeat: { over: 'outlets', stride: 0x10 } },
    { quantity: 'outlet.power', channel: '{n}', table: 'holding', address: 0x0102, type: 'f32', unit: 'W', precision: -1, repeat: { over: 'outlets', stride: 0x10 } },
    { quantity: 'outlet.energy', channel: '{n}', table: 'holding', address: 0x0106, type: 'u32', unit: 'Wh', precision: 0, kind: 'counter', repeat: { over: 'outlets', stride: 0x10 } },
    { quantity: 'outlet.state', channel: '{n}', table: 'holding', address: 0x0108, type: 'u16', unit: '1', precision: 0, kind: 'state', repeat: { over: 'outlets', stride: 0x10 } },
  ],
};
