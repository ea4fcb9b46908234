// The JSON body of POST /api/racks/{id}/commands → the Command action to send and the command's
// own time to live. Checks shapes only; the agent judges the values against its local limits.
//   {"action":"ping","payload"?:string}            {"action":"rebirth"}
//   {"action":"set_cap_lease","kw":8,"ttlMs":300000,"leaseId"?:string}
//   {"action":"clear_cap_lease","leaseId"?:string}
//   {"action":"grid_event","eventId":"E1","targetKw":4,"startInMs"?:60000,"durationMs":600000}
//   {"action":"grid_event","cancel":true,"eventId"?:"E1"}
// "ttlMs" is the command's expiry (default 30 s) except for set_cap_lease, where it is the
// lease's duration and the command itself expires after min(ttlMs, 30 s).

import type { pb } from '../protocols/wire/codec.js';

export type CommandAction = Pick<pb.ICommand, 'ping' | 'rebirth' | 'setCapLease' | 'clearCapLease' | 'gridEvent'>;

export const ACTIONS = ['ping', 'rebirth', 'set_cap_lease', 'clear_cap_lease', 'grid_event'] as const;
const DEFAULT_TTL_MS = 30_000;
const MAX_TTL_MS = 600_000;

type Body = Readonly<Record<string, unknown>>;
export type Parsed = { readonly action: CommandAction; readonly ttlMs: number } | { readonly error: string };

function num(b: Body, key: string, required: boolean): number | string | undefined {
  const v = b[key];
  if (v === undefined) return required ? `${key} is required (a number)` : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : `${key} must be a number`;
}

function str(b: Body, key: string): string | undefined {
  return typeof b[key] === 'string' ? b[key] : undefined;
}

function ttl(b: Body): number {
  const v = b['ttlMs'];
  return typeof v === 'number' && v > 0 && v <= MAX_TTL_MS ? v : DEFAULT_TTL_MS;
}

function lease(b: Body): Parsed {
  const kw = num(b, 'kw', true);
  const t = num(b, 'ttlMs', true);
  if (typeof kw === 'string') return { error: kw };
  if (typeof t === 'string') return { error: t };
  return { action: { setCapLease: { kw, ttlMs: t, leaseId: str(b, 'leaseId') ?? '' } }, ttlMs: Math.min(Math.max(1, t ?? 0), DEFAULT_TTL_MS) };
}

function grid(b: Body): Parsed {
  const cancel = b['cancel'] === true;
  const eventId = str(b, 'eventId') ?? '';
  if (cancel) return { action: { gridEvent: { eventId, cancel: true } }, ttlMs: ttl(b) };
  const targetKw = num(b, 'targetKw', true);
  const startInMs = num(b, 'startInMs', false);
  const durationMs = num(b, 'durationMs', true);
  for (const v of [targetKw, startInMs, durationMs]) if (typeof v === 'string') return { error: v };
  if (!eventId) return { error: 'eventId is required (a string)' };
  return { action: { gridEvent: { eventId, targetKw: targetKw as number, startInMs: (startInMs as number | undefined) ?? 0, durationMs: durationMs as number } }, ttlMs: ttl(b) };
}

export function parseCommandBody(body: unknown): Parsed {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'body must be a JSON object' };
  const b = body as Body;
  switch (b['action']) {
    case 'ping': return { action: { ping: { payload: str(b, 'payload') ?? '' } }, ttlMs: ttl(b) };
    case 'rebirth': return { action: { rebirth: {} }, ttlMs: ttl(b) };
    case 'set_cap_lease': return lease(b);
    case 'clear_cap_lease': return { action: { clearCapLease: { leaseId: str(b, 'leaseId') ?? '' } }, ttlMs: ttl(b) };
    case 'grid_event': return grid(b);
    default: return { error: `action must be one of: ${ACTIONS.join(', ')}` };
  }
}
