import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeHubMessage, encodeHubMessage, pb, varintBytes } from '../../protocols/wire/codec.js';
import { encodeSignedCommand, splitSignedCommand } from '../../protocols/wire/signing.js';
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
    expect((await p.handle(pb.Command.create({ id: 'c5', targetAgent: 'agent-1', issuedAtMs: 1_000_000, expiresAtMs: 1_100_000, rebirth: {} }))).status).toBe(pb.CommandStatus.COMMAND_STATUS_UNSUPPORTED);
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

describe('signed commands', () => {
  const hubKey = generateKeyPairSync('ed25519');
  const otherKey = generateKeyPairSync('ed25519');
  const T0 = 1_000_000;

  function setup() {
    const clock = new FakeClock(T0);
    const events: AgentEvent[] = [];
    const p = new CommandProcessor('agent-1', clock, { ping: () => ({ status: 'ok', message: 'pong' }) }, (e) => events.push(e), { keys: [hubKey.publicKey] });
    let seq = 100;
    const cmd = (over: Partial<pb.ICommand> = {}): pb.ICommand => ({ id: `c${seq}`, targetAgent: 'agent-1', issuedAtMs: T0, expiresAtMs: T0 + 30_000, nonce: Buffer.alloc(16, seq), cmdSeq: ++seq, ping: { payload: 'x' }, ...over });
    /** Signs like the hub, then hands the frame to the processor as the link would. */
    const send = async (frame: Uint8Array) => {
      const m = decodeHubMessage(frame);
      if (!m.ok) throw m.error;
      return p.handle(m.message.command as pb.Command, frame);
    };
    const signed = (c: pb.ICommand, key = hubKey.privateKey) => encodeSignedCommand(c, (payload) => sign(null, payload, key));
    const reasons = () => events.filter((e) => e.type === 'command.rejected').map((e) => e.attrs?.['reason']);
    return { p, cmd, send, signed, reasons, clock };
  }

  it('accepts a command signed by the configured key, and decodes like any other', async () => {
    const { cmd, send, signed } = setup();
    const frame = signed(cmd());
    const m = decodeHubMessage(frame);
    expect(m.ok && m.message.command?.signature?.length).toBe(64);
    expect((await send(frame)).status).toBe(pb.CommandStatus.COMMAND_STATUS_OK);
  });

  it('refuses unsigned, forged, altered and badly placed signatures — each as an event with its reason', async () => {
    const { cmd, send, signed, reasons } = setup();
    expect((await send(encodeHubMessage({ command: cmd() }))).message).toMatch(/unsigned command/);
    expect((await send(signed(cmd(), otherKey.privateKey))).message).toMatch(/does not verify/);
    const altered = Buffer.from(signed(cmd({ targetAgent: 'agent-1', ping: { payload: 'harmless' } })));
    altered[altered.indexOf(Buffer.from('harmless'))] = 'H'.charCodeAt(0); // one byte of the signed content
    expect((await send(altered)).message).toMatch(/does not verify/);
    // a valid signature moved to the front, or given twice: the signed bytes must be unambiguous
    const parts = splitSignedCommand(signed(cmd()));
    if (!parts.ok || !parts.signature) throw new Error('no signature');
    const sigField = Buffer.concat([Buffer.from([0x7a, 64]), parts.signature]);
    const frameOf = (command: Buffer) => Buffer.concat([Buffer.from([0x1a, ...varintBytes(command.length)]), command]);
    expect((await send(frameOf(Buffer.concat([sigField, parts.unsigned])))).message).toMatch(/last field, once/);
    expect((await send(frameOf(Buffer.concat([parts.unsigned, sigField, sigField])))).message).toMatch(/last field, once/);
    expect(reasons()).toEqual(['unsigned', 'bad_signature', 'bad_signature', 'bad_signature', 'bad_signature']);
  });

  it('refuses a signed command that is replayed, expired, mis-targeted, too long-lived or older than the agent', async () => {
    const { cmd, send, signed, reasons, clock } = setup();
    const first = signed(cmd());
    expect((await send(first)).status).toBe(pb.CommandStatus.COMMAND_STATUS_OK);
    expect((await send(first)).message).toMatch(/replayed/); // same bytes again
    const earlierSeq = cmd({ cmdSeq: 50 });
    expect((await send(signed(earlierSeq))).message).toMatch(/cmd_seq 50 is not above/);
    expect((await send(signed(cmd({ expiresAtMs: T0 - 1 })))).message).toMatch(/expired/);
    expect((await send(signed(cmd({ targetAgent: 'agent-2' })))).message).toMatch(/addressed to "agent-2"/);
    expect((await send(signed(cmd({ expiresAtMs: T0 + 3_600_000 })))).message).toMatch(/at most 600000 ms/);
    expect((await send(signed(cmd({ issuedAtMs: T0 - 120_000, expiresAtMs: T0 + 60_000 })))).message).toMatch(/before this agent started/);
    await clock.advance(1000);
    expect((await send(signed(cmd({ issuedAtMs: T0 + 1000, expiresAtMs: T0 + 31_000 })))).status).toBe(pb.CommandStatus.COMMAND_STATUS_OK);
    expect(reasons()).toEqual(['replayed', 'replayed', 'expired', 'wrong_target', 'lifetime', 'before_start']);
  });

  it('without a command key only ping and rebirth are accepted; anything else needs a signature', async () => {
    const clock = new FakeClock(T0);
    const events: AgentEvent[] = [];
    const p = new CommandProcessor('a', clock, { ping: () => ({ status: 'ok', message: '' }), setPowerCap: () => ({ status: 'ok', message: 'capped' }) } as never, (e) => events.push(e));
    expect((await p.handle(pb.Command.create({ id: 'p', targetAgent: 'a', issuedAtMs: T0, expiresAtMs: T0 + 1000, ping: {} }))).status).toBe(pb.CommandStatus.COMMAND_STATUS_OK);
    const privileged = Object.assign(pb.Command.create({ id: 'q', targetAgent: 'a', issuedAtMs: T0, expiresAtMs: T0 + 1000 }), { action: 'setPowerCap' });
    const r = await p.handle(privileged);
    expect(r.status).toBe(pb.CommandStatus.COMMAND_STATUS_REJECTED);
    expect(r.message).toMatch(/needs a signed command/);
    expect(events.at(-1)?.attrs?.['reason']).toBe('unsigned');
  });
});
