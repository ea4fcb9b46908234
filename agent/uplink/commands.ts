// Commands from the hub: envelope checks, then dispatch to the action's handler. Every command
// gets exactly one CommandResult; every refusal is also an event.
//
// Checks, in order: an id; addressed to this agent; not expired; not seen before (replay). The
// ids seen are remembered until their command's expiry (bounded; the oldest are forgotten first,
// and a forgotten id can only be replayed after its expiry, when the expiry check refuses it).

import type { pb } from '../../protocols/wire/codec.js';
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

const MAX_REMEMBERED = 4096;
/** Commands may be issued this far in the future (clock skew between hub and agent). */
const MAX_SKEW_MS = 30_000;

export class CommandProcessor {
  private readonly seen = new Map<string, number>(); // id → expiresAtMs

  constructor(
    private readonly agentId: string,
    private readonly clock: Clock,
    private readonly handlers: Partial<Record<ActionName, ActionHandler>>,
    private readonly emit: (e: AgentEvent) => void,
  ) {}

  async handle(cmd: pb.Command): Promise<pb.ICommandResult> {
    const now = this.clock.now();
    const refuse = (status: CommandStatusName, message: string): pb.ICommandResult => {
      this.emit({ timeMs: now, severity: 'warning', type: 'command.rejected', message: `command ${cmd.id || '(no id)'} refused: ${message}`, attrs: { command_id: cmd.id, action: cmd.action ?? '' } });
      return { commandId: cmd.id, status: STATUS[status], message, completedAtMs: now };
    };
    if (!cmd.id) return refuse('invalid', 'command has no id');
    if (cmd.targetAgent !== this.agentId) return refuse('rejected', `addressed to "${cmd.targetAgent}", this agent is "${this.agentId}"`);
    if (!(cmd.expiresAtMs > now)) return refuse('rejected', `expired ${now - cmd.expiresAtMs} ms ago`);
    if (cmd.issuedAtMs > now + MAX_SKEW_MS) return refuse('rejected', 'issued in the future (clock skew beyond 30 s)');
    this.forgetExpired(now);
    if (this.seen.has(cmd.id)) return refuse('rejected', 'replayed: this command id was already received');
    this.seen.set(cmd.id, cmd.expiresAtMs);
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);

    const action = cmd.action;
    const handler = action ? this.handlers[action] : undefined;
    if (!action || !handler) return refuse('unsupported', `action ${action ?? '(none)'} is not supported by this agent`);
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

  private forgetExpired(now: number): void {
    for (const [id, exp] of this.seen) {
      if (exp > now) break; // roughly insertion-ordered; a full sweep is not needed for safety
      this.seen.delete(id);
    }
  }
}
