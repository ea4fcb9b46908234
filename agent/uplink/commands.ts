// Commands from the hub: authentication, envelope checks, then dispatch to the action's handler.
// Every command gets exactly one CommandResult; every refusal is also an event (with a stable
// `reason` attribute).
//
// Checks, in order:
//  1. an id;
//  2. who sent it. With command keys configured, every command must carry a valid Ed25519
//     signature by one of them (docs/protocol.md, "Signed commands"). Without keys, only the
//     harmless actions (ping, rebirth) are accepted; anything that could change the rack —
//     every action added later included — is refused as unsigned;
//  3. addressed to this agent;
//  4. time: not expired, not issued more than 30 s in the future, not issued before this agent
//     started (a command recorded earlier cannot be replayed into a fresh process), and not
//     valid for longer than 10 minutes;
//  5. signed commands: cmd_seq above the last one accepted from that key (the hub's cmd_seq is
//     monotonic per signing key);
//  6. not seen before: ids are remembered until their command's expiry (bounded; the oldest are
//     forgotten first, and a forgotten id can only be replayed after its expiry, when check 4
//     refuses it). Only authenticated commands are remembered, so forged ones cannot crowd out
//     real ids.
// A valid signature grants no more than the action's handler allows: local hard limits (caps,
// ramp rates, safe floors) are enforced by the handlers and no command can lift them.

import { verify, type KeyObject } from 'node:crypto';
import type { pb } from '../../protocols/wire/codec.js';
import { signingPayload, splitSignedCommand } from '../../protocols/wire/signing.js';
import type { Clock } from '../runtime/clock.js';
import type { AgentEvent } from './encoder.js';

export type CommandStatusName = 'ok' | 'rejected' | 'failed' | 'unsupported' | 'invalid';
const STATUS: Record<CommandStatusName, number> = { ok: 1, rejected: 2, failed: 3, unsupported: 4, invalid: 5 };

export interface ActionOutcome {
  readonly status: CommandStatusName;
  readonly message: string;
  readonly values?: Readonly<Record<string, number>>;
}

export type ActionName = NonNullable<pb.Command['action']>;
export type ActionHandler = (cmd: pb.Command) => Promise<ActionOutcome> | ActionOutcome;

/** Actions that cannot change the rack: accepted unsigned when no command key is configured. */
export const UNPRIVILEGED_ACTIONS: ReadonlySet<string> = new Set<ActionName>(['ping', 'rebirth']);

const MAX_REMEMBERED = 4096;
/** Commands may be issued this far in the future (clock skew between hub and agent). */
const MAX_SKEW_MS = 30_000;
/** Longest validity a command may claim (expires_at − issued_at). */
const MAX_LIFETIME_MS = 600_000;

export interface CommandPolicy {
  /** Public keys whose signatures are accepted. Empty: unsigned, unprivileged actions only. */
  readonly keys?: readonly KeyObject[];
}

type Refusal = { status: CommandStatusName; reason: string; message: string };

export class CommandProcessor {
  private readonly seen = new Map<string, number>(); // id → expiresAtMs
  private readonly lastSeq = new Map<KeyObject, number>();
  private readonly startedAtMs: number;
  readonly stats = { accepted: 0, rejected: 0 };

  constructor(
    private readonly agentId: string,
    private readonly clock: Clock,
    private readonly handlers: Partial<Record<ActionName, ActionHandler>>,
    private readonly emit: (e: AgentEvent) => void,
    private readonly policy: CommandPolicy = {},
  ) {
    this.startedAtMs = clock.now();
  }

  /** Handles one command; `frame` is the HubMessage as received (needed to check a signature). */
  async handle(cmd: pb.Command, frame?: Uint8Array): Promise<pb.ICommandResult> {
    const now = this.clock.now();
    const refusal = this.check(cmd, frame, now);
    if (refusal) {
      this.stats.rejected++;
      this.emit({
        timeMs: now, severity: 'warning', type: 'command.rejected', message: `command ${cmd.id || '(no id)'} refused: ${refusal.message}`,
        attrs: { command_id: cmd.id, action: cmd.action ?? '', reason: refusal.reason },
      });
      return { commandId: cmd.id, status: STATUS[refusal.status], message: refusal.message, completedAtMs: now };
    }
    this.stats.accepted++;
    const action = cmd.action as ActionName;
    const handler = this.handlers[action] as ActionHandler;
    let out: ActionOutcome;
    try {
      out = await handler(cmd);
    } catch (err) {
      out = { status: 'failed', message: `action ${action} failed: ${(err as Error).message}` };
    }
    const done = this.clock.now();
    this.emit({ timeMs: done, severity: out.status === 'ok' ? 'info' : 'warning', type: 'command.result', message: `command ${cmd.id} (${action}): ${out.status}${out.message ? ` — ${out.message}` : ''}`, attrs: { command_id: cmd.id, action, status: out.status } });
    return { commandId: cmd.id, status: STATUS[out.status], message: out.message, completedAtMs: done, values: { ...(out.values ?? {}) } };
  }

  private check(cmd: pb.Command, frame: Uint8Array | undefined, now: number): Refusal | undefined {
    const reject = (reason: string, message: string): Refusal => ({ status: 'rejected', reason, message });
    if (!cmd.id) return { status: 'invalid', reason: 'no_id', message: 'command has no id' };
    const verdict = this.authenticate(cmd, frame);
    if (!verdict.ok) return verdict.refusal;
    const auth = verdict.key;
    if (cmd.targetAgent !== this.agentId) return reject('wrong_target', `addressed to "${cmd.targetAgent}", this agent is "${this.agentId}"`);
    if (!(cmd.expiresAtMs > now)) return reject('expired', `expired ${now - cmd.expiresAtMs} ms ago`);
    if (cmd.issuedAtMs > now + MAX_SKEW_MS) return reject('future', 'issued in the future (clock skew beyond 30 s)');
    if (cmd.issuedAtMs < this.startedAtMs - MAX_SKEW_MS) return reject('before_start', 'issued before this agent started (a replay, or a clock far off)');
    if (cmd.expiresAtMs - cmd.issuedAtMs > MAX_LIFETIME_MS) return reject('lifetime', `valid for ${cmd.expiresAtMs - cmd.issuedAtMs} ms; at most ${MAX_LIFETIME_MS} ms is accepted`);
    if (auth) {
      const last = this.lastSeq.get(auth) ?? 0;
      if (!(cmd.cmdSeq > last)) return reject('replayed', `replayed or reordered: cmd_seq ${cmd.cmdSeq} is not above ${last}`);
    }
    this.forgetExpired(now);
    if (this.seen.has(cmd.id)) return reject('replayed', 'replayed: this command id was already received');
    const action = cmd.action;
    if (!action || !this.handlers[action]) return { status: 'unsupported', reason: 'unsupported', message: `action ${action ?? '(none)'} is not supported by this agent` };
    if (auth) this.lastSeq.set(auth, cmd.cmdSeq);
    this.seen.set(cmd.id, cmd.expiresAtMs);
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    return undefined;
  }

  /** The key that signed the command (null: an accepted unsigned one), or a refusal. */
  private authenticate(cmd: pb.Command, frame: Uint8Array | undefined): { ok: true; key: KeyObject | null } | { ok: false; refusal: Refusal } {
    const keys = this.policy.keys ?? [];
    const reject = (reason: string, message: string) => ({ ok: false, refusal: { status: 'rejected', reason, message } }) as const;
    if (!keys.length) {
      return UNPRIVILEGED_ACTIONS.has(cmd.action ?? '') ? { ok: true, key: null } : reject('unsigned', `action ${cmd.action ?? '(none)'} needs a signed command; this agent has no command key configured (hub.commandKeys)`);
    }
    if (!cmd.signature?.length || !frame) return reject('unsigned', 'unsigned command; this agent accepts only commands signed by its configured command keys');
    const parts = splitSignedCommand(frame);
    if (!parts.ok) return reject('bad_signature', `signature not checkable: ${parts.reason}`);
    if (!parts.signature || parts.signature.length !== 64) return reject('bad_signature', 'signature is not a 64-byte Ed25519 signature');
    const payload = signingPayload(parts.unsigned);
    const key = keys.find((k) => verify(null, payload, k, parts.signature as Uint8Array));
    return key ? { ok: true, key } : reject('bad_signature', 'signature does not verify with any configured command key (forged, altered, or signed by another hub)');
  }

  private forgetExpired(now: number): void {
    for (const [id, exp] of this.seen) {
      if (exp > now) break; // roughly insertion-ordered; a full sweep is not needed for safety
      this.seen.delete(id);
    }
  }
}
