// Frame codec for the agent ⇄ hub WebSocket protocol: one binary frame = one message.
//
// This module and its siblings are the only importers of the generated protobuf code. Decoding
// never throws: it returns a typed result, because frames come from the network and a bad one
// must close one connection, not crash a process.
import { rackpilot } from '../generated/rackpilot.js';

export import pb = rackpilot.v1;

export type AgentMessage = pb.AgentMessage;
export type HubMessage = pb.HubMessage;

export const PROTOCOL_VERSION = 1;

export type DecodeResult<T> = { ok: true; message: T } | { ok: false; error: WireError };

/** Why a frame was refused. `code` is stable and used in metrics and close reasons. */
export class WireError extends Error {
  constructor(
    readonly code: 'malformed' | 'empty' | 'oversized' | 'no_body',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WireError';
  }
}

export function encodeAgentMessage(msg: pb.IAgentMessage): Uint8Array {
  return pb.AgentMessage.encode(msg).finish();
}

export function encodeHubMessage(msg: pb.IHubMessage): Uint8Array {
  return pb.HubMessage.encode(msg).finish();
}

function decodeWith<T extends { body?: string }>(
  decode: (buf: Uint8Array) => T,
  buf: Uint8Array,
  maxBytes: number,
): DecodeResult<T> {
  if (buf.length === 0) return { ok: false, error: new WireError('empty', 'empty frame') };
  if (buf.length > maxBytes) {
    return { ok: false, error: new WireError('oversized', `frame of ${buf.length} bytes exceeds ${maxBytes}`) };
  }
  let message: T;
  try {
    message = decode(buf);
  } catch (err) {
    return { ok: false, error: new WireError('malformed', `not a valid message: ${(err as Error).message}`, { cause: err }) };
  }
  if (!message.body) return { ok: false, error: new WireError('no_body', 'message carries no body') };
  return { ok: true, message };
}

export function decodeAgentMessage(buf: Uint8Array, maxBytes = 1 << 20): DecodeResult<pb.AgentMessage> {
  return decodeWith((b) => pb.AgentMessage.decode(b), buf, maxBytes);
}

export function decodeHubMessage(buf: Uint8Array, maxBytes = 1 << 20): DecodeResult<pb.HubMessage> {
  return decodeWith((b) => pb.HubMessage.decode(b), buf, maxBytes);
}

/**
 * Frames an encoded TelemetryBatch as an AgentMessage without re-encoding it. When `historical`
 * is set, field 3 (historical = true) is appended to the batch: protobuf merges a repeated scalar
 * field by keeping the last value, so this marks a stored batch as backfill byte-cheaply
 * (checked against protoc in test/unit/wire-protoc.test.ts).
 */
export function frameBatch(batchBytes: Uint8Array, historical: boolean): Uint8Array {
  const extra = historical ? 2 : 0;
  const len = batchBytes.length + extra;
  const lenBytes = varintBytes(len);
  const out = new Uint8Array(1 + lenBytes.length + len);
  out[0] = 0x12; // AgentMessage.batch: field 2, wire type 2
  out.set(lenBytes, 1);
  out.set(batchBytes, 1 + lenBytes.length);
  if (historical) {
    out[out.length - 2] = 0x18; // TelemetryBatch.historical: field 3, wire type 0
    out[out.length - 1] = 0x01;
  }
  return out;
}

export function encodeBatch(batch: pb.ITelemetryBatch): Uint8Array {
  return pb.TelemetryBatch.encode(batch).finish();
}

/** Protobuf varint encoding of a non-negative integer below 2^53. */
export function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
