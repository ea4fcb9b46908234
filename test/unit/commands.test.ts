import { describe, expect, it } from 'vitest';
import { pb } from '../../protocols/wire/codec.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import { CommandProcessor } from '../../agent/uplink/commands.js';
import type { AgentEvent } from '../../agent/uplink/encoder.js';

function setup() {
  const clock = new FakeClock(1_000_000);
  const events: AgentEvent[] = [];
  const p = new CommandProcessor('agent-1', clock, { ping: (c) => ({ status: 'ok', message: `pong ${c.ping?.payload ?? ''}` }) }, (e) => events.push(e));
  const cmd = (over: Partial<pb.ICommand> = {}): pb.Command => pb.Command.create({ id: 'c1', targetAgent: 'agent-1', issuedAtMs: 1_000_000, expiresAtMs: 1_030_000, ping: { payload: 'x' }, ...over });
  return { clock, events, p, cmd };
}

describe('CommandProcessor', () => {
  it('runs a valid command and answers with its result', async () => {
    const { p, cmd, events } = setup();
    const r = await p.handle(cmd());
    expect(r).toMatchObject({ commandId: 'c1', status: pb.CommandStatus.COMMAND_STATUS_OK, message: 'pong x' });
    expect(events.map((e) => e.type)).toEqual(['command.result']);
  });

  it('refuses commands for another agent, expired, from the future, replayed, without id, or unknown — each as an event', async () => {
    const { p, cmd, events, clock } = setup();
    expect((await p.handle(cmd({ targetAgent: 'agent-2' }))).status).toBe(pb.CommandStatus.COMMAND_STATUS_REJECTED);
    expect((await p.handle(cmd({ id: 'c2', expiresAtMs: 999_999 }))).message).toMatch(/expired/);
    expect((await p.handle(cmd({ id: 'c3', issuedAtMs: 1_000_000 + 60_000, expiresAtMs: 1_100_000 }))).message).toMatch(/future/);
    expect((await p.handle(cmd({ id: 'c4' }))).status).toBe(pb.CommandStatus.COMMAND_STATUS_OK);
    const replay = await p.handle(cmd({ id: 'c4' }));
    expect(replay.status).toBe(pb.CommandStatus.COMMAND_STATUS_REJECTED);
    expect(replay.message).toMatch(/replayed/);
    expect((await p.handle(cmd({ id: '' }))).status).toBe(pb.CommandStatus.COMMAND_STATUS_INVALID);
    expect((await p.handle(pb.Command.create({ id: 'c5', targetAgent: 'agent-1', expiresAtMs: 2_000_000, rebirth: {} }))).status).toBe(pb.CommandStatus.COMMAND_STATUS_UNSUPPORTED);
    expect(events.filter((e) => e.type === 'command.rejected')).toHaveLength(6);
    // after expiry the replayed id is refused as expired, not accepted
    await clock.advance(60_000);
    expect((await p.handle(cmd({ id: 'c4' }))).message).toMatch(/expired/);
  });

  it('a handler that throws gives a failed result, not an exception', async () => {
    const clock = new FakeClock(0);
    const p = new CommandProcessor('a', clock, { ping: () => { throw new Error('nope'); } }, () => {});
    const r = await p.handle(pb.Command.create({ id: 'x', targetAgent: 'a', expiresAtMs: 10, ping: {} }));
    expect(r.status).toBe(pb.CommandStatus.COMMAND_STATUS_FAILED);
    expect(r.message).toMatch(/nope/);
  });
});
