// Framing the output of `nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N` into
// samples ("blocks": one row per GPU). Pure and incremental: the stream's owner (stream.ts)
// pushes each line as it arrives and gets back what it completed.
//
// What the stream looks like: nvidia-smi prints one line per GPU per interval, in index order,
// and nothing between samples (a header, when asked for, only once at the start: ksysguard-gpu
// #31 shows `-l 1` output). On Linux, ECC and XID event messages may print during the sleep
// between samples (man nvidia-smi, -l), so a line that is not a row is a message, not an error.
//
// A block ends when (in this order of preference):
//   - it holds as many rows as the stream's one-shot check listed: the usual case, at once;
//   - a row comes whose index is not above the previous row's, or whose UUID the block already
//     has: the next sample has begun (a block short of a GPU that fell off the bus mid-stream);
//   - its owner calls flush() after a quiet gap (the last block before nvidia-smi goes silent).
// Wall-clock gaps alone never split a sample: a row that continues a block already closed (more
// GPUs than the stream started with, or one sample's rows spread over the gap) is garbage, and
// so is a line that starts like a row but does not split into the queried columns, or one with
// control characters: the stream is then not what was asked for and its owner restarts it.

import { rowCells, splitRow, type Cell, type HeaderMismatch } from './csv.js';
import { F } from './fields.js';
import type { QueryColumn } from './reader.js';

export type Row = Readonly<Record<string, Cell>>;

export interface Block {
  readonly rows: readonly Row[];
  /** Lines that were not rows (nvidia-smi's messages) between the previous block's first row and this one's. */
  readonly messages: readonly string[];
  /** When its first row arrived: monotonic ms and wall-clock ms. */
  readonly atMs: number;
  readonly timeMs: number;
}

export type FramerEvent = { readonly kind: 'block'; readonly block: Block } | { readonly kind: 'garbage'; readonly reason: string };

export interface FramerOptions {
  /** The columns of the query, as the one-shot check ran it. */
  readonly columns: readonly QueryColumn[];
  /** The one-shot check's header mismatches: those columns stay invalid in every row. */
  readonly mismatches: readonly HeaderMismatch[];
  /** Rows the one-shot check listed: a block of that many is complete. */
  readonly expectedRows: number;
  /** Adds the cells of fields left out of the query (NvidiaSmiReader.complete). */
  readonly complete: (row: Row) => Row;
}

/** Messages kept per block (the rest are counted only). */
const MAX_MESSAGES = 8;
const ROW_START = /^\s*\d+, /;

interface Open {
  rows: Row[];
  messages: string[];
  lastIndex: number;
  uuids: Set<string>;
  atMs: number;
  timeMs: number;
}

export class BlockFramer {
  readonly stats = { rows: 0, blocks: 0, strayLines: 0 };
  private open: Open | undefined;
  /** The block last closed by count or flush, until the next row: a row continuing it is garbage. */
  private closed: { lastIndex: number; uuids: Set<string> } | undefined;
  private messages: string[] = [];
  private readonly indexAt: number;
  private readonly uuidAt: number;

  constructor(private readonly o: FramerOptions) {
    this.indexAt = o.columns.findIndex((c) => c.field.key === F.index);
    this.uuidAt = o.columns.findIndex((c) => c.field.key === F.uuid);
    if (this.indexAt === -1) throw new Error('a streamed query needs the index column');
  }

  /** True while a block has rows and is not complete yet. */
  get pending(): boolean {
    return this.open !== undefined;
  }

  /** One line of stdout (without its line ending) that arrived at monotonic `atMs`, wall `timeMs`. */
  push(line: string, atMs: number, timeMs: number): FramerEvent[] {
    if (hasControl(line)) return [garbage(`control characters in nvidia-smi output: ${show(line)}`)];
    if (line.trim() === '') return [];
    const cells = splitRow(line, this.o.columns.length);
    const rawIndex = cells?.[this.indexAt]?.trim() ?? '';
    if (!cells || !/^\d+$/.test(rawIndex)) {
      if (ROW_START.test(line) || (cells && !rawIndex.startsWith('['))) return [garbage(`not a row of the ${this.o.columns.length} queried columns: ${show(line)}`)];
      this.stats.strayLines++;
      if (this.messages.length < MAX_MESSAGES) this.messages.push(line.trim());
      return [];
    }
    const index = Number(rawIndex);
    const rawUuid = this.uuidAt === -1 ? '' : (cells[this.uuidAt] ?? '').trim();
    const uuid = rawUuid.startsWith('GPU-') ? rawUuid : undefined;
    const out: FramerEvent[] = [];
    const prev = this.open ?? this.closed;
    const nextSample = prev !== undefined && (index <= prev.lastIndex || (uuid !== undefined && prev.uuids.has(uuid)));
    if (this.open && nextSample) out.push({ kind: 'block', block: this.emit(this.open) });
    else if (!this.open && this.closed && !nextSample) return [garbage(`GPU row ${index} came after its sample was complete (more GPUs than the stream started with, or one sample spread over a quiet gap)`)];
    this.closed = undefined;
    const block = this.open ?? this.begin(atMs, timeMs);
    block.rows.push(this.o.complete(rowCells(cells, this.o.columns, this.o.mismatches)));
    block.lastIndex = index;
    if (uuid !== undefined) block.uuids.add(uuid);
    this.stats.rows++;
    if (block.rows.length >= this.o.expectedRows) {
      this.closed = { lastIndex: block.lastIndex, uuids: block.uuids };
      out.push({ kind: 'block', block: this.emit(block) });
    }
    return out;
  }

  /** Closes the open block, if any (its owner saw no line for a while). */
  flush(): Block | undefined {
    const open = this.open;
    if (!open) return undefined;
    this.closed = { lastIndex: open.lastIndex, uuids: open.uuids };
    return this.emit(open);
  }

  /** A new block takes the messages that came before its first row; later ones wait for the next. */
  private begin(atMs: number, timeMs: number): Open {
    this.open = { rows: [], messages: this.messages, lastIndex: -1, uuids: new Set(), atMs, timeMs };
    this.messages = [];
    return this.open;
  }

  private emit(b: Open): Block {
    this.open = undefined;
    this.stats.blocks++;
    return { rows: b.rows, messages: b.messages, atMs: b.atMs, timeMs: b.timeMs };
  }
}

function garbage(reason: string): FramerEvent {
  return { kind: 'garbage', reason };
}

/** C0 controls other than tab, and DEL: never in nvidia-smi's text output. */
function hasControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

function show(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}
