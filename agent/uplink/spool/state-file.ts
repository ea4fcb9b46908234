// The spool's small state file: the stream id and the hub's ack watermark. Replaced atomically
// (temp file, fdatasync, rename, directory sync). Losing it is harmless: the stream id is also in
// every segment header, and an old watermark only makes the agent re-send batches the hub already
// holds, which the hub drops as duplicates.

import type { SpoolFs } from './fs.js';

export interface SpoolState {
  readonly streamId: number;
  readonly ackedUpto: number;
}

export const STATE_FILE = 'state.json';

export type StateRead = { readonly ok: true; readonly state: SpoolState | undefined } | { readonly ok: false; readonly reason: string };

/** Reads the state; a missing file is `state: undefined`, a damaged one is `ok: false`. */
export async function readState(fs: SpoolFs, dir: string): Promise<StateRead> {
  let raw: Uint8Array | undefined;
  try {
    raw = await fs.readFile(`${dir}/${STATE_FILE}`);
  } catch (err) {
    return { ok: false, reason: `unreadable: ${(err as Error).message}` };
  }
  if (!raw) return { ok: true, state: undefined };
  try {
    const v = JSON.parse(Buffer.from(raw).toString('utf8')) as Record<string, unknown>;
    const { streamId, ackedUpto } = v;
    if (v['version'] !== 1 || !isSeq(streamId) || streamId < 1 || !isSeq(ackedUpto)) return { ok: false, reason: 'unexpected content' };
    return { ok: true, state: { streamId, ackedUpto } };
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
}

export function writeState(fs: SpoolFs, dir: string, s: SpoolState): Promise<void> {
  return fs.writeFileAtomic(`${dir}/${STATE_FILE}`, Buffer.from(JSON.stringify({ version: 1, streamId: s.streamId, ackedUpto: s.ackedUpto }) + '\n'));
}

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
