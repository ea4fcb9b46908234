// gude-expert-pdu: GUDE Expert Power Control / Expert PDU (8311 family) over Modbus/TCP.
// Facts: shared/reference/modbus.md §4.5 (GUDE 8311 manual p.67). The reference documents the
// port relays only, so this profile reads and switches relays; it has no power readings.

export const gudeExpertPdu = {
  name: 'gude-expert-pdu',
  description: 'GUDE Expert PDU / Expert Power Control: outlet relays (FC01/FC05)',
  source:
    'GUDE 8311 manual p.67 (vendor manual): coils 0x000–0x3FF are the ports (FC01/05/0F), discrete inputs from 0x400, "Unit-ID is ' +
    'ignored". UNVERIFIED: port n on coil n−1 (the manual says some tools count from 1: "try both possibilities"). No metering ' +
    'registers are documented in the reference, so none are read.',
  kind: 'pdu',
  addressing: 'wire',
  transports: ['tcp'],
  phases: 1,
  outlets: { max: 64 },
  limits: { maxRegisters: 125, maxBits: 2000, maxGap: 0, onePerPoint: false },
  outletControl: { write: 'coil', address: 0, stride: 1, verified: false },
  points: [
    { quantity: 'outlet.state', channel: '{n}', table: 'coil', address: 0, type: 'bit', unit: '1', precision: 0, kind: 'state', repeat: { over: 'outlets', stride: 1 } },
  ],
};
