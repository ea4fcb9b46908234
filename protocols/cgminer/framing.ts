// Framing of the cgminer-family RPC on TCP 4028 (shared/reference/miners.md §1.1–1.2), shared by
// the agent's client and hw-sim's servers. Pure and incremental: the scanner takes bytes as they
// arrive and says "need more", "reply complete" or a typed error; it never throws and never
// blocks on a socket.
//
// Requests: one JSON object, sent in one write (cgminer does a single recv() of ≤ 4095 bytes).
// Replies end at the first NUL (cgminer sends strlen+1 bytes), at a newline outside any JSON
// object or string (firmware that keeps the socket open), or when the peer closes. A newline
// inside a string or an object is not an end: btminer puts raw newlines inside values.

/** cgminer reads requests with one recv() into a 4096-byte buffer (NUL included). */
export const MAX_REQUEST_BYTES = 4095;
/** Default cap on a reply: the largest real ones (btminer error lists, stats) are ~100 KiB. */
export const DEFAULT_MAX_REPLY_BYTES = 4 << 20;

export type FramingErrorCode = 'request_too_large' | 'reply_too_large' | 'empty_reply';

export interface FramingError {
  readonly code: FramingErrorCode;
  readonly message: string;
}

/**
 * Encodes a JSON request: {"command": C, "parameter": P, ...extra}. `parameter` is a string
 * (several arguments comma-separated, commas and backslashes inside them escaped with "\").
 * Whatsminer v2 also takes {"cmd": …}; pass it through `extra` with `key: 'cmd'`.
 */
export function encodeRequest(
  command: string,
  opts: { parameter?: string; extra?: Readonly<Record<string, unknown>>; key?: 'command' | 'cmd' } = {},
): { ok: true; bytes: Buffer } | { ok: false; error: FramingError } {
  const body: Record<string, unknown> = { [opts.key ?? 'command']: command };
  if (opts.parameter !== undefined) body['parameter'] = opts.parameter;
  if (opts.extra) Object.assign(body, opts.extra);
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  if (bytes.length > MAX_REQUEST_BYTES) {
    return { ok: false, error: { code: 'request_too_large', message: `request of ${bytes.length} bytes exceeds cgminer's ${MAX_REQUEST_BYTES}-byte read` } };
  }
  return { ok: true, bytes };
}

/** Joins arguments into one `parameter` string, escaping "," and "\" inside them. */
export function joinParameters(args: readonly (string | number)[]): string {
  return args.map((a) => String(a).replace(/[\\,]/g, (c) => `\\${c}`)).join(',');
}

/** Scanner state: immutable from the caller's point of view (scanReply returns a new one). */
export interface ReplyScan {
  readonly chunks: readonly Buffer[];
  readonly length: number;
  /** Nesting of {…} and […] outside strings. Never below 0 (stray closers are ignored). */
  readonly depth: number;
  readonly inString: boolean;
  readonly escaped: boolean;
  /** A non-whitespace byte has been seen (a bare newline before any content is not an end). */
  readonly content: boolean;
  readonly maxBytes: number;
}

export type ScanResult =
  | { readonly kind: 'more'; readonly state: ReplyScan }
  | { readonly kind: 'reply'; readonly bytes: Buffer; readonly terminator: 'nul' | 'newline' | 'close'; readonly rest: Buffer }
  | { readonly kind: 'error'; readonly error: FramingError };

export function newReplyScan(maxBytes = DEFAULT_MAX_REPLY_BYTES): ReplyScan {
  return { chunks: [], length: 0, depth: 0, inString: false, escaped: false, content: false, maxBytes };
}

/** Feeds received bytes. After 'reply' or 'error' the scan is over; `rest` is what followed. */
export function scanReply(s: ReplyScan, chunk: Buffer): ScanResult {
  let { depth, inString, escaped, content } = s;
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i] as number;
    if (b === 0x00) return done(s, chunk, i, 'nul');
    if (inString) {
      if (escaped) escaped = false;
      else if (b === 0x5c) escaped = true;
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x0a && depth === 0 && content) return done(s, chunk, i, 'newline');
    if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) depth++;
    else if ((b === 0x7d || b === 0x5d) && depth > 0) depth--;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) content = true;
  }
  const length = s.length + chunk.length;
  if (length > s.maxBytes) return { kind: 'error', error: { code: 'reply_too_large', message: `reply exceeds ${s.maxBytes} bytes` } };
  return { kind: 'more', state: { chunks: [...s.chunks, chunk], length, depth, inString, escaped, content, maxBytes: s.maxBytes } };
}

/** The peer closed: whatever arrived is the reply (it may be truncated; see sanitize.ts). */
export function finishReply(s: ReplyScan): ScanResult {
  if (!s.content) return { kind: 'error', error: { code: 'empty_reply', message: 'connection closed without a reply' } };
  return { kind: 'reply', bytes: Buffer.concat(s.chunks, s.length), terminator: 'close', rest: Buffer.alloc(0) };
}

function done(s: ReplyScan, chunk: Buffer, i: number, terminator: 'nul' | 'newline'): ScanResult {
  if (s.length + i > s.maxBytes) return { kind: 'error', error: { code: 'reply_too_large', message: `reply exceeds ${s.maxBytes} bytes` } };
  const bytes = Buffer.concat([...s.chunks, chunk.subarray(0, i)], s.length + i);
  if (!hasContent(bytes)) return { kind: 'error', error: { code: 'empty_reply', message: `reply ended (${terminator}) before any content` } };
  return { kind: 'reply', bytes, terminator, rest: chunk.subarray(i + 1) };
}

function hasContent(b: Buffer): boolean {
  for (const x of b) if (x !== 0x20 && x !== 0x0a && x !== 0x0d && x !== 0x09) return true;
  return false;
}

/**
 * Server side: is this buffer a complete request? cgminer takes what one recv() returned; a
 * simulator reading a stream needs a rule: a newline or NUL, a buffer that parses as JSON, or
 * the 4095 bytes that one recv() would have taken.
 */
export function requestComplete(buf: Buffer): boolean {
  if (buf.length >= MAX_REQUEST_BYTES || buf.includes(0x0a) || buf.includes(0x00)) return true;
  try {
    JSON.parse(buf.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
