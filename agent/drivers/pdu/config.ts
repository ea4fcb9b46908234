// Config of a Modbus power device (PDU or meter): `type: modbus` in rack.yaml (docs/config.md).
import { silenceMs } from '../../../protocols/modbus/rtu-timing.js';
import { tcpTransportShape } from '../../config/common.js';
import { s, type Infer } from '../../config/shape.js';

const phaseName = s.string({ pattern: /^L[1-3]$/, patternHint: 'L1, L2 or L3' });

export const circuitsShape = s.object({
  /** Breaker rating per phase, A. */
  breakerA: s.number({ min: 1, max: 1000, unit: 'A' }),
  /** Share of the rating allowed continuously (NEC: 0.8). */
  continuousFactor: s.number({ min: 0.1, max: 1 }).default(0.8),
  /** Per-phase ratings where they differ, e.g. { L3: 20 }. */
  phases: s.record(s.number({ min: 1, max: 1000, unit: 'A' }), phaseName).opt(),
});

export const STANDARD_BAUDS = [1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400] as const;

const tidShape = s.enum(['strict', 'accept-zero', 'ignore'] as const);

const modbusTcpShape = s.object({
  ...tcpTransportShape.fields,
  /** Requests on the wire at once on this connection (most devices: 1). */
  maxInFlight: s.int({ min: 1, max: 16 }).default(1),
  /** Reply matching: strict TIDs, also accept TID 0, or ignore TIDs (one in flight). */
  tid: tidShape.default('strict'),
}).refine((t) => (t.tid === 'ignore' && t.maxInFlight > 1
  ? `tid ignore matches replies by order, so only one request may be in flight (maxInFlight ${t.maxInFlight})` : undefined));

/** RTU over RS-485. The serial format is per device: meters of one model ship with different defaults. */
const rtuShape = s.object({
  /** Serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/… */
  path: s.string({ min: 1 }),
  baud: s.int({ min: 300, max: 921_600, unit: 'baud' }),
  parity: s.enum(['none', 'even', 'odd'] as const),
  dataBits: s.int({ min: 5, max: 8 }).default(8),
  stopBits: s.int({ min: 1, max: 2 }).default(1),
  /** Silence between exchanges, ms; default t3.5 for the format (1.75 ms above 19200 baud). */
  interFrameGapMs: s.number({ min: 0, max: 1000, unit: 'ms' }).opt(),
}).refine((t) => {
  if (t.dataBits !== 8) return `dataBits ${t.dataBits}: Modbus RTU needs 8 data bits (7 is Modbus ASCII, which rackpilot does not speak)`;
  if (!(STANDARD_BAUDS as readonly number[]).includes(t.baud)) return `baud ${t.baud} is not a standard rate (${STANDARD_BAUDS.join(', ')})`;
  if (t.parity !== 'none' && t.stopBits === 2) return `parity ${t.parity} with 2 stop bits makes a 12-bit character; RTU characters are 11 bits (use 1 stop bit with parity)`;
  const t35 = silenceMs({ baud: t.baud, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits });
  if (t.interFrameGapMs !== undefined && t.interFrameGapMs < t35) return `interFrameGapMs ${t.interFrameGapMs} is below the 3.5-character silence at ${t.baud} baud (${t35.toFixed(2)} ms)`;
  return undefined;
});

/** RTU frames over TCP to a serial gateway (USR, Waveshare…): one request at a time. */
const rtuOverTcpShape = s.object({
  host: s.string({ min: 1 }),
  port: s.int({ min: 1, max: 65535 }).default(502),
  interFrameGapMs: s.number({ min: 0, max: 1000, unit: 'ms' }).default(0),
});

export const transportShape = s.tagged('type', { tcp: modbusTcpShape, rtu: rtuShape, 'rtu-over-tcp': rtuOverTcpShape });

/** Per-device overrides of the profile's limits and workarounds. */
const workaroundOverrides = s.object({
  maxRegisters: s.int({ min: 1, max: 125 }).opt(),
  onePerPoint: s.boolean().opt(),
  pauseBetweenRequestsMs: s.int({ min: 0, max: 10_000, unit: 'ms' }).opt(),
  pauseAfterConnectMs: s.int({ min: 0, max: 10_000, unit: 'ms' }).opt(),
  closeAfterPoll: s.boolean().opt(),
  readCoilsFromZero: s.boolean().opt(),
});

export const modbusDeviceShape = s.object({
  id: s.id(),
  /** Built-in profile name, or a path to a YAML profile file. */
  profile: s.string({ min: 1 }),
  transport: transportShape,
  /** Unit id (slave address); default: the profile's (1 for most devices). */
  unit: s.int({ min: 0, max: 255 }).opt(),
  /** Outlet count, for profiles whose outlet count depends on the model. */
  outlets: s.int({ min: 0, max: 1024 }).opt(),
  timeoutMs: s.int({ min: 10, max: 60_000, unit: 'ms' }).default(500),
  connectTimeoutMs: s.int({ min: 10, max: 60_000, unit: 'ms' }).default(2000),
  reconnectDelayMs: s.int({ min: 0, max: 600_000, unit: 'ms' }).default(1000),
  /** Retries after exception 06 (device busy), the only failure retried. */
  busyRetries: s.int({ min: 0, max: 10 }).default(1),
  busyRetryDelayMs: s.int({ min: 0, max: 10_000, unit: 'ms' }).default(100),
  /** Expose the outlet relays to the controller (switched PDUs; the profile must map them). */
  outletSwitching: s.boolean().default(false),
  /** Minimum time between two outlet turn-ons on this PDU (inrush). */
  inrushSpacingMs: s.int({ min: 0, max: 60_000, unit: 'ms' }).default(100),
  workarounds: workaroundOverrides.default({}),
  circuits: circuitsShape.opt(),
  /**
   * Its inlet power counts into the rack's total (the rack budget). False for a meter on a
   * branch, an outlet or the feed of a device already counted: the same power would count twice.
   */
  rackPower: s.boolean().default(true),
  labels: s.record(s.string()).default({}),
});

export type ModbusDeviceConfig = Infer<typeof modbusDeviceShape> & { type: 'modbus' };
export type ModbusTransportConfig = ModbusDeviceConfig['transport'];
