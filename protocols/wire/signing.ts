// Signed commands, at the byte level (docs/protocol.md, "Signed commands").
//
// The hub encodes a Command without its signature, signs SIGNING_CONTEXT + those bytes with its
// Ed25519 command key, and appends field 15 (signature) after them. The agent takes the Command
// bytes exactly as received, checks that field 15 appears once and last, and verifies the
// signature over everything before it. Nothing is re-encoded on either side, so there is no
// canonicalisation to get wrong, and every field — id, target agent, issue and expiry times,
// nonce, cmd_seq, the action and its parameters, fields added later — is covered.
// The context string keeps a signature from being valid for anything but a rackpilot.v1 Command.
import { pb, varintBytes } from './codec.js';

export const SIGNING_CONTEXT = 'rackpilot.v1.Command\0';
const CONTEXT = new TextEncoder().encode(SIGNING_CONTEXT);
const SIGNATURE_FIELD = 15;
const HUB_COMMAND_FIELD = 3;

/** The bytes a signature covers: the context string, then the unsigned Command encoding. */
export function signingPayload(unsignedCommand: Uint8Array): Uint8Array {
  const out = new Uint8Array(CONTEXT.length + unsignedCommand.length);
  out.set(CONTEXT, 0);
  out.set(unsignedCommand, CONTEXT.length);
  return out;
}

/** Encodes `cmd` (its signature field ignored), signs it with `sign`, and frames it as a HubMessage. */
export function encodeSignedCommand(cmd: pb.ICommand, sign: (payload: Uint8Array) => Uint8Array): Uint8Array {
  const unsigned = pb.Command.encode({ ...cmd, signature: undefined }).finish();
  const sig = sign(signingPayload(unsigned));
  const command = concat(unsigned, Uint8Array.of((SIGNATURE_FIELD << 3) | 2), varint(sig.length), sig);
  return concat(Uint8Array.of((HUB_COMMAND_FIELD << 3) | 2), varint(command.length), command);
}

export type SignedParts =
  | { readonly ok: true; readonly unsigned: Uint8Array; readonly signature: Uint8Array | undefined }
  | { readonly ok: false; readonly reason: string };

/**
 * Splits the Command inside a HubMessage frame into the bytes the signature covers and the
 * signature. `signature` is undefined for an unsigned command. A signature that is not the last
 * field, or appears twice, is refused: the signed bytes must be unambiguous.
 */
export function splitSignedCommand(hubFrame: Uint8Array): SignedParts {
  const cmd = fields(hubFrame).find((f) => f.field === HUB_COMMAND_FIELD && f.wire === 2);
  if (!cmd) return { ok: false, reason: 'no command in the frame' };
  const bytes = hubFrame.subarray(cmd.valueStart, cmd.end);
  const all = fields(bytes);
  if (all.some((f) => f.wire === -1)) return { ok: false, reason: 'malformed command encoding' };
  const sigs = all.filter((f) => f.field === SIGNATURE_FIELD);
  if (!sigs.length) return { ok: true, unsigned: bytes, signature: undefined };
  const sig = sigs[0] as Field;
  if (sigs.length > 1 || sig !== all.at(-1) || sig.wire !== 2) return { ok: false, reason: 'the signature must be the last field, once' };
  return { ok: true, unsigned: bytes.subarray(0, sig.start), signature: bytes.subarray(sig.valueStart, sig.end) };
}

interface Field {
  readonly field: number;
  /** Wire type, or -1 where the encoding is broken (then it is the last element). */
  readonly wire: number;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** The top-level fields of a protobuf message, with their byte ranges. */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const tag = readVarint(buf, pos);
    if (!tag) return [...out, { field: 0, wire: -1, start, valueStart: start, end: buf.length }];
    const wire = tag.value % 8;
    const field = Math.floor(tag.value / 8);
    let valueStart = tag.next;
    let end: number;
    if (wire === 0) end = readVarint(buf, valueStart)?.next ?? -1;
    else if (wire === 1) end = valueStart + 8;
    else if (wire === 5) end = valueStart + 4;
    else if (wire === 2) {
      const len = readVarint(buf, valueStart);
      valueStart = len?.next ?? -1;
      end = len ? len.next + len.value : -1;
    } else end = -1;
    if (end < 0 || end > buf.length) return [...out, { field, wire: -1, start, valueStart: start, end: buf.length }];
    out.push({ field, wire, start, valueStart, end });
    pos = end;
  }
  return out;
}

function readVarint(buf: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i] as number;
    value += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) return { value, next: i + 1 };
  }
  return undefined;
}

function varint(n: number): Uint8Array {
  return Uint8Array.from(varintBytes(n));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
