// Whatsminer API v3 (port 4433; shared/reference/miners.md §2.5), shared by the agent's client
// and hw-sim: every message in either direction is a 4-byte little-endian length followed by that
// many bytes of UTF-8 JSON. Pure, incremental decoding with a cap on the length; never throws.
import { createHash } from 'node:crypto';

/** Tether caps v3 messages at 8 MiB; nothing legitimate comes close. */
export const DEFAULT_MAX_V3_BYTES = 8 << 20;

export function encodeV3(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  return Buffer.concat([head, body]);
}

export interface V3Scan {
  readonly buf: Buffer;
  readonly maxBytes: number;
}

export type V3Result =
  | { readonly kind: 'more'; readonly state: V3Scan }
  | { readonly kind: 'message'; readonly body: Buffer; readonly rest: Buffer }
  | { readonly kind: 'error'; readonly code: 'too_large' | 'empty'; readonly message: string };

export function newV3Scan(maxBytes = DEFAULT_MAX_V3_BYTES): V3Scan {
  return { buf: Buffer.alloc(0), maxBytes };
}

export function scanV3(s: V3Scan, chunk: Buffer): V3Result {
  const buf = s.buf.length ? Buffer.concat([s.buf, chunk]) : chunk;
  if (buf.length < 4) return { kind: 'more', state: { buf, maxBytes: s.maxBytes } };
  const n = buf.readUInt32LE(0);
  if (n > s.maxBytes) return { kind: 'error', code: 'too_large', message: `v3 message of ${n} bytes exceeds ${s.maxBytes}` };
  if (n === 0) return { kind: 'error', code: 'empty', message: 'v3 message of length 0' };
  if (buf.length < 4 + n) return { kind: 'more', state: { buf, maxBytes: s.maxBytes } };
  return { kind: 'message', body: buf.subarray(4, 4 + n), rest: buf.subarray(4 + n) };
}

/** Per-command token: the first 8 characters of base64(sha256(cmd + password + salt + ts)). */
export function v3Token(cmd: string, password: string, salt: string, ts: number): string {
  return createHash('sha256').update(`${cmd}${password}${salt}${ts}`).digest('base64').slice(0, 8);
}
