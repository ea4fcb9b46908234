// Is every load plugged into the outlet its config names? Compares what each miner or GPU server
// says it draws (its own API) with its feed outlet's meter, and where they disagree, looks for
// the outlet of that PDU that carries the load's power and no other load's. Pure.
//
// The controller reads a load's draw at its feed outlet and switches that outlet as the last
// resort: a load on the wrong outlet is governed blind, and its "last resort" would cut
// someone else.

import { row, type CheckRow } from '../check-table.js';
import type { DeviceFacts, LoadFacts } from './types.js';

/** Below this, an outlet counts as carrying nothing (meters read a few W of noise). */
const IDLE_W = 50;
/** A load whose API reports less than this is not evidence either way. */
const MIN_EVIDENCE_W = 300;

const kw = (w: number): string => `${(w / 1000).toFixed(w >= 10_000 ? 1 : 2)} kW`;

/**
 * Whether an outlet reading fits a load's own figure. A miner's outlet reads about its API power;
 * a GPU server's outlet reads its GPUs plus CPUs, fans and drives (up to ~1.5 kW more, and the
 * GPUs themselves report a 1 s average).
 */
export function fits(load: LoadFacts, outletW: number): boolean {
  const api = load.apiW ?? 0;
  if (load.kind === 'gpu') return outletW >= api * 0.9 && outletW <= api * 1.6 + 1500;
  const tol = load.estimated ? 0.3 : 0.15;
  return Math.abs(outletW - api) <= api * tol + 100;
}

export function wiringChecks(devices: readonly DeviceFacts[]): CheckRow[] {
  const pdus = new Map(devices.flatMap((d) => (d.pdu ? [[d.id, d] as const] : [])));
  const loads = devices.filter((d): d is DeviceFacts & { load: LoadFacts & { feed: NonNullable<LoadFacts['feed']> } } => d.load?.feed !== undefined);
  // Outlets already explained by a load that fits its own feed: not candidates for another load.
  const explained = new Set(loads.flatMap((d) => {
    const w = pdus.get(d.load.feed.pdu)?.pdu?.outletW.get(d.load.feed.outlet);
    return w !== undefined && w !== null && d.load.apiW !== null && fits(d.load, w) ? [`${d.load.feed.pdu}/${d.load.feed.outlet}`] : [];
  }));
  return loads.map((d) => wiringOf(d, pdus.get(d.load.feed.pdu), explained));
}

function wiringOf(d: DeviceFacts & { load: LoadFacts & { feed: NonNullable<LoadFacts['feed']> } }, pdu: DeviceFacts | undefined, explained: ReadonlySet<string>): CheckRow {
  const { feed, apiW } = d.load;
  const at = `${feed.pdu} outlet ${feed.outlet}`;
  const its = d.load.kind === 'gpu' ? 'its GPUs (nvidia-smi)' : `its API${d.load.estimated ? ', estimated from the model' : ''}`;
  if (!pdu) return row(d.id, 'wiring', 'skip', `feed ${feed.pdu} is not a PDU of this config`);
  if (!pdu.reached || !pdu.pdu) return row(d.id, 'wiring', 'skip', `${feed.pdu} could not be read`);
  const outletW = pdu.pdu.outletW.get(feed.outlet);
  if (outletW === undefined) return row(d.id, 'wiring', 'fail', `${feed.pdu} has no outlet ${feed.outlet} (it has ${pdu.pdu.outletW.size})`, `correct load.feed.outlet of ${d.id}`);
  if (outletW === null) return row(d.id, 'wiring', 'skip', `${at} could not be read`);
  if (!d.reached || apiW === null) return row(d.id, 'wiring', 'skip', `${d.id} reports no power of its own; ${at} reads ${kw(outletW)}`);
  if (fits(d.load, outletW)) return row(d.id, 'wiring', 'pass', `${at} reads ${kw(outletW)}; ${its}: ${kw(apiW)}`);
  if (apiW < MIN_EVIDENCE_W) {
    if (outletW > IDLE_W * 10) {
      return row(d.id, 'wiring', 'warn', `${at} reads ${kw(outletW)} but ${d.id} reports ${kw(apiW)} (${its}): something else draws on that outlet`, `check what is plugged into ${at}; two loads on one outlet, or ${d.id} is elsewhere`);
    }
    return row(d.id, 'wiring', 'pass', `${d.id} draws little (${kw(apiW)}); ${at} reads ${kw(outletW)}`);
  }
  const elsewhere = [...pdu.pdu.outletW].filter(([n, w]) => n !== feed.outlet && w !== null && !explained.has(`${feed.pdu}/${n}`) && fits(d.load, w));
  const carries = elsewhere.map(([n, w]) => `outlet ${n} reads ${kw(w ?? 0)}`).join(', ');
  const head = `${d.id} draws ${kw(apiW)} (${its}) but ${at} reads ${kw(outletW)}`;
  if (elsewhere.length === 1) {
    const [n] = elsewhere[0] as [number, number | null];
    return row(d.id, 'wiring', 'fail', `${head}; ${carries}: is it plugged into outlet ${n}?`, `move the plug to outlet ${feed.outlet}, or set load.feed.outlet: ${n} for ${d.id}`);
  }
  if (elsewhere.length > 1) return row(d.id, 'wiring', 'fail', `${head}; it could be on ${carries}`, `trace ${d.id}'s power cord to its outlet and set load.feed.outlet`);
  return row(d.id, 'wiring', 'fail', `${head}; no other outlet of ${feed.pdu} carries that power`, `${d.id} may be fed by another PDU or circuit: trace its power cord and correct load.feed`);
}
