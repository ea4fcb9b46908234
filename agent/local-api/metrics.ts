// The agent's Prometheus metrics, for the site's own monitoring (GET /metrics). Collected at
// scrape time from the live objects, so nothing extra runs in the control loop.

import { Registry } from '../../protocols/prometheus.js';
import type { ControlLoop } from '../control/loop.js';
import type { RackState } from '../core/rack.js';
import type { HealthTracker } from '../core/health.js';
import type { SeriesSpec } from '../core/series.js';
import { keyOf } from '../core/series.js';
import type { DeviceDriver } from '../drivers/types.js';
import type { FixedRateScheduler } from '../runtime/scheduler.js';
import type { Clock } from '../runtime/clock.js';
import type { CommandProcessor } from '../uplink/commands.js';
import type { HubLink } from '../uplink/hub-link.js';
import type { Outbox } from '../uplink/outbox.js';
import type { DiskSpool } from '../uplink/spool/spool.js';

export interface MetricsSources {
  readonly agentId: string;
  readonly version: string;
  readonly clock: Clock;
  readonly rack: RackState;
  readonly series: readonly SeriesSpec[];
  readonly drivers: readonly DeviceDriver[];
  readonly health: HealthTracker;
  readonly scheduler: FixedRateScheduler;
  /** Drivers polled on their own schedule (miners), one group per interval. */
  readonly pollGroups?: readonly { readonly intervalMs: number; readonly scheduler: FixedRateScheduler }[];
  readonly link?: HubLink;
  readonly outbox?: Outbox;
  readonly spool?: DiskSpool;
  readonly commands?: CommandProcessor;
  readonly control?: ControlLoop;
}

const LINK_STATES = ['idle', 'connecting', 'handshaking', 'up', 'backoff', 'stopped'] as const;
const HEALTH = { unknown: -1, down: 0, degraded: 0.5, up: 1 } as const;

export function buildAgentMetrics(src: MetricsSources): Registry {
  const r = new Registry();
  r.gaugeFn('rackpilot_agent_info', 'Agent identity and version (value 1).', () => [[{ agent: src.agentId, version: src.version }, 1]]);
  r.gaugeFn('rackpilot_poll_cycles_total', 'Poll cycles run.', () => [[{}, src.scheduler.stats.ticks]]);
  r.gaugeFn('rackpilot_poll_overruns_total', 'Poll cycles skipped because the previous one was still running.', () => [[{}, src.scheduler.stats.overruns]]);
  r.gaugeFn('rackpilot_poll_cycle_seconds', 'Duration of the last poll cycle.', () => [[{}, src.scheduler.stats.lastDurationMs / 1000]]);
  const groups = src.pollGroups ?? [];
  if (groups.length) {
    const per = (f: (g: (typeof groups)[number]) => number): [Record<string, string>, number][] => groups.map((g) => [{ interval_ms: String(g.intervalMs) }, f(g)]);
    r.gaugeFn('rackpilot_poll_group_cycles_total', 'Poll cycles run by each poll group (devices with their own interval, e.g. miners).', () => per((g) => g.scheduler.stats.ticks));
    r.gaugeFn('rackpilot_poll_group_overruns_total', 'Poll-group cycles skipped because the previous one was still running.', () => per((g) => g.scheduler.stats.overruns));
    r.gaugeFn('rackpilot_poll_group_cycle_seconds', 'Duration of the last cycle of each poll group.', () => per((g) => g.scheduler.stats.lastDurationMs / 1000));
    r.gaugeFn('rackpilot_poll_group_cycle_max_seconds', 'Longest cycle of each poll group so far.', () => per((g) => g.scheduler.stats.maxDurationMs / 1000));
  }
  r.gaugeFn('rackpilot_device_up', 'Device health: 1 up, 0.5 degraded, 0 down, -1 not polled yet.', () =>
    src.drivers.map((d) => [{ device: d.info.id, kind: d.info.kind, model: d.info.model }, HEALTH[src.health.get(d.info.id)]]));
  r.gaugeFn('rackpilot_device_requests_total', 'Driver counters by device and counter name.', () =>
    src.drivers.flatMap((d) => Object.entries(d.counters()).map(([name, v]): [Record<string, string>, number] => [{ device: d.info.id, counter: name }, v])));
  r.gaugeFn('rackpilot_reading', 'Latest value of every series (absent when unknown or stale).', () => {
    const now = src.clock.now();
    const out: [Record<string, string>, number][] = [];
    for (const s of src.series) {
      const v = src.rack.value(keyOf(s), now);
      if (v !== null) out.push([{ device: s.device, quantity: s.quantity, channel: s.channel, unit: s.unit }, v]);
    }
    return out;
  });
  r.gaugeFn('rackpilot_reading_unknown', 'Series whose value is unknown or stale right now (1 each).', () => {
    const now = src.clock.now();
    return src.series.filter((s) => src.rack.value(keyOf(s), now) === null).map((s) => [{ device: s.device, quantity: s.quantity, channel: s.channel }, 1]);
  });
  const link = src.link;
  const outbox = src.outbox;
  if (link && outbox) {
    r.gaugeFn('rackpilot_hub_link_state', 'Hub link state (1 for the current state).', () => LINK_STATES.map((s) => [{ state: s }, link.state === s ? 1 : 0]));
    r.gaugeFn('rackpilot_hub_connects_total', 'Connection attempts to the hub.', () => [[{}, link.stats.connects]]);
    r.gaugeFn('rackpilot_hub_bad_frames_total', 'Frames from the hub that did not decode.', () => [[{}, link.stats.badFrames]]);
    r.gaugeFn('rackpilot_uplink_batches_sent_total', 'Batches sent (re-sends included).', () => [[{}, link.stats.batchesSent]]);
    r.gaugeFn('rackpilot_uplink_bytes_sent_total', 'Bytes sent to the hub.', () => [[{}, link.stats.bytesSent]]);
    r.gaugeFn('rackpilot_uplink_samples_acked_total', 'Samples the hub acknowledged.', () => [[{}, outbox.stats().ackedSamples]]);
    r.gaugeFn('rackpilot_outbox_batches', 'Batches waiting for an ack.', () => [[{}, outbox.stats().batches]]);
    r.gaugeFn('rackpilot_outbox_last_seq', 'Seq of the newest batch, and the stream it belongs to.', () => [[{ stream: String(outbox.streamId) }, outbox.lastSeq]]);
    r.gaugeFn('rackpilot_outbox_bytes', 'Bytes waiting for an ack.', () => [[{}, outbox.stats().bytes]]);
    r.gaugeFn('rackpilot_outbox_dropped_samples_total', 'Samples dropped because the outbox was full.', () => [[{}, outbox.stats().droppedSamples]]);
    r.gaugeFn('rackpilot_uplink_backfill_batches_sent_total', 'Backlog (historical) batches sent.', () => [[{}, link.stats.backfillBatchesSent]]);
  }
  if (src.spool) spoolMetrics(r, src.spool);
  const commands = src.commands;
  if (commands) r.gaugeFn('rackpilot_commands_total', 'Commands from the hub, by outcome (refusals also appear as command.rejected events).', () => [[{ outcome: 'accepted' }, commands.stats.accepted], [{ outcome: 'rejected' }, commands.stats.rejected]]);
  if (src.control) controlMetrics(r, src.control);
  return r;
}

function spoolMetrics(r: Registry, spool: DiskSpool): void {
  r.gaugeFn('rackpilot_spool_disk_bytes', 'Bytes of spool segment files on disk.', () => [[{}, spool.stats().diskBytes]]);
  r.gaugeFn('rackpilot_spool_segments', 'Spool segment files.', () => [[{}, spool.stats().segments]]);
  r.gaugeFn('rackpilot_spool_memory_only_batches', 'Batches held in memory only because the disk failed.', () => [[{}, spool.stats().memOnlyBatches]]);
  r.gaugeFn('rackpilot_spool_degraded', '1 while spool writes fail or stall.', () => [[{}, spool.stats().degraded ? 1 : 0]]);
  r.gaugeFn('rackpilot_spool_lost_batches_total', 'Batches lost in the spool (damaged on disk, or dropped while the disk failed).', () => [[{}, spool.stats().lostBatches]]);
  r.gaugeFn('rackpilot_spool_corrupt_regions_total', 'Damaged regions skipped in spool segments.', () => [[{}, spool.stats().corruptRegions]]);
  r.gaugeFn('rackpilot_spool_write_errors_total', 'Failed spool writes and fsyncs.', () => [[{}, spool.stats().writeErrors]]);
  r.gaugeFn('rackpilot_spool_fsyncs_total', 'Spool fsyncs.', () => [[{}, spool.stats().fsyncs]]);
}

function controlMetrics(r: Registry, c: ControlLoop): void {
  r.gaugeFn('rackpilot_control_budget_watts', 'Rack budget in force, by source (absent when only circuits limit the rack).', () => {
    const s = c.status();
    return s.budgetW === null ? [] : [[{ source: s.budgetSource }, s.budgetW]];
  });
  r.gaugeFn('rackpilot_control_load_setpoint_watts', 'Setpoint of every load the controller holds down, by mode (limited, paused, off).', () =>
    c.status().loads.filter((l) => l.mode !== 'free').map((l) => [{ load: l.id, class: l.class, mode: l.mode }, l.setpointW ?? 0]));
  r.gaugeFn('rackpilot_control_load_unresponsive', 'Loads that did not follow a command (1 each).', () =>
    c.status().loads.filter((l) => l.unresponsive).map((l) => [{ load: l.id }, 1]));
  r.gaugeFn('rackpilot_control_constraint_blind', 'Constraints estimated because their readings are stale (1 each).', () => c.status().blind.map((id) => [{ constraint: id }, 1]));
  r.gaugeFn('rackpilot_control_actions_total', 'Actions the controller issued, and those that failed.', () => {
    const st = c.runner.stats;
    return [[{ result: 'issued' }, st.actions], [{ result: 'failed' }, st.failed + st.unroutable]];
  });
  r.gaugeFn('rackpilot_control_step_errors_total', 'Control steps that threw (the loop went on).', () => [[{}, c.status().errors]]);
}
