// Which nvidia-smi row is which configured GPU. A GPU's series channel is its index when the
// agent first saw it; after that it is followed by UUID, because nvidia-smi renumbers the
// remaining GPUs when one falls off the bus (GPU 3 gone → old GPU 4 shows as index 3), and a
// power limit must never land on the wrong card.

import { num, text, type Cell } from './csv.js';
import { F } from './fields.js';

export type GpuRow = Readonly<Record<string, Cell>>;

export interface SlotAssignment {
  /** The row of each configured GPU, or undefined when it is missing from the output. */
  readonly bySlot: readonly (GpuRow | undefined)[];
  /** Rows that fit no configured GPU (more GPUs than configured, or a replaced card). */
  readonly extra: readonly GpuRow[];
}

export class GpuSlots {
  private readonly uuids: (string | undefined)[];

  constructor(readonly count: number) {
    this.uuids = new Array<string | undefined>(count).fill(undefined);
  }

  uuid(slot: number): string | undefined {
    return this.uuids[slot];
  }

  /** Matches rows to slots (binding unbound slots by index) and returns the assignment. */
  assign(rows: readonly GpuRow[]): SlotAssignment {
    const bySlot = new Array<GpuRow | undefined>(this.count).fill(undefined);
    const rest: GpuRow[] = [];
    for (const row of rows) {
      const u = text(row[F.uuid]);
      const s = u === null ? -1 : this.uuids.indexOf(u);
      if (s !== -1 && !bySlot[s]) bySlot[s] = row;
      else rest.push(row);
    }
    const extra: GpuRow[] = [];
    for (const row of rest) {
      const i = num(row[F.index]);
      const u = text(row[F.uuid]);
      const fits = i !== null && Number.isInteger(i) && i >= 0 && i < this.count && !bySlot[i];
      if (fits && this.uuids[i] === undefined && u !== null && !this.uuids.includes(u)) {
        this.uuids[i] = u; // first sighting: bind
        bySlot[i] = row;
      } else if (fits && u === null && this.uuids[i] !== undefined) {
        bySlot[i] = row; // UUID unreadable (GPU in trouble): same index, and no other row claims its UUID
      } else {
        extra.push(row);
      }
    }
    return { bySlot, extra };
  }
}
