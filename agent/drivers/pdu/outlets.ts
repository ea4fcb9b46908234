// Outlet relays of a switched PDU as actuators: the controller's last resort (docs/architecture.md,
// "Modbus"). Every command is written and then read back; a write that timed out is read back
// before any retry (FC05/06 replies only echo the request, so a lost reply says nothing about
// whether the relay moved, shared/reference/modbus.md §8); turn-ons on one PDU are spaced by the
// inrush guard. Writes and read-backs go to the front of the line's queue.

import { isBitTable, type ModbusClient, type Table } from '../modbus/client.js';
import { ModbusError, detailOf } from '../modbus/errors.js';
import { sleep, type Clock } from '../../runtime/clock.js';
import type { ActuationResult, ActuatorCommand, PowerActuator } from '../types.js';

/** Wire addresses of outlet 1 and the stride to the next, for writing and for reading back. */
export interface OutletMap {
  readonly write: 'coil' | 'register';
  readonly address: number;
  readonly stride: number;
  readonly onValue: number;
  readonly offValue: number;
  readonly readback: { readonly table: Table; readonly address: number; readonly stride: number };
}

/** Spaces outlet turn-ons on one PDU so their inrush currents do not add up. */
export class InrushGuard {
  private next = Number.NEGATIVE_INFINITY;

  constructor(private readonly clock: Clock, readonly spacingMs: number) {}

  /** Reserves the next turn-on slot and waits for it. Slots are handed out in call order. */
  async wait(signal?: AbortSignal): Promise<void> {
    const now = this.clock.monotonic();
    const at = Math.max(now, this.next);
    this.next = at + this.spacingMs;
    await sleep(this.clock, at - now, signal);
  }
}

/** Time from a relay command until the outlet's power shows in readings (PDUs meter every ~1 s). */
const OUTLET_SETTLE_MS = 2000;

export class OutletActuator implements PowerActuator {
  readonly kind = 'outlet' as const;
  readonly capabilities = { outlet: true };
  readonly settleMs = OUTLET_SETTLE_MS;
  readonly id: string;
  /** The relay state before the agent first switched it (what `restore` returns to). */
  private original: boolean | undefined;

  constructor(
    readonly device: string,
    readonly outlet: number,
    private readonly client: ModbusClient,
    private readonly map: OutletMap,
    private readonly guard: InrushGuard,
  ) {
    this.id = `${device}/outlet/${outlet}`;
  }

  async apply(cmd: ActuatorCommand, signal: AbortSignal): Promise<ActuationResult> {
    switch (cmd.type) {
      case 'outlet_on':
        return this.set(true, signal);
      case 'outlet_off':
        return this.set(false, signal);
      case 'restore':
        if (this.original === undefined) return { ok: true, verified: false, detail: `outlet ${this.outlet}: not switched by the agent, nothing to restore` };
        return this.set(this.original, signal);
      default:
        return { ok: false, verified: false, detail: `outlet ${this.outlet}: ${cmd.type} is not an outlet command (outlet_on, outlet_off, restore)` };
    }
  }

  /** Reads the relay: true = on. Rejects with a ModbusError. */
  async state(signal?: AbortSignal): Promise<boolean> {
    const rb = this.map.readback;
    const address = rb.address + (this.outlet - 1) * rb.stride;
    const data = await this.client.read(rb.table, address, 1, { priority: 'control', ...(signal ? { signal } : {}) });
    if (isBitTable(rb.table)) return data[0] === 1;
    const v = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
    if (v === this.map.onValue) return true;
    if (v === this.map.offValue) return false;
    throw new ModbusError('modbus_bad_response', `relay register reads ${v}, neither on (${this.map.onValue}) nor off (${this.map.offValue})`);
  }

  private async set(on: boolean, signal: AbortSignal): Promise<ActuationResult> {
    const what = `outlet ${this.outlet} ${on ? 'on' : 'off'}`;
    // Shedding must not wait on a failed read: without one, assume the relay was the opposite.
    if (this.original === undefined) this.original = await this.state(signal).catch(() => !on);
    if (on) await this.guard.wait(signal);
    for (let attempt = 1; attempt <= 2; attempt++) {
      let writeTimedOut = false;
      try {
        await this.write(on, signal);
      } catch (err) {
        if (!(err instanceof ModbusError && err.code === 'modbus_timeout')) return { ok: false, verified: false, detail: `${what}: write failed: ${detailOf(err)}` };
        writeTimedOut = true;
      }
      let now: boolean;
      try {
        now = await this.state(signal);
      } catch (err) {
        return { ok: false, verified: false, detail: `${what}: ${writeTimedOut ? 'write timed out and ' : ''}read-back failed: ${detailOf(err)}` };
      }
      if (now === on) {
        const how = attempt > 1 ? ' after a retry (the first write timed out without effect)' : writeTimedOut ? ' (the write reply was lost)' : '';
        return { ok: true, verified: true, detail: `${what}: confirmed by read-back${how}` };
      }
      if (!writeTimedOut || attempt === 2) return { ok: false, verified: true, detail: `${what}: read-back shows ${now ? 'on' : 'off'}` };
      // The write timed out and did not take effect: retrying is safe now.
    }
    return { ok: false, verified: false, detail: `${what}: not confirmed` };
  }

  private write(on: boolean, signal: AbortSignal): Promise<void> {
    const address = this.map.address + (this.outlet - 1) * this.map.stride;
    const o = { priority: 'control' as const, signal };
    return this.map.write === 'coil'
      ? this.client.writeCoil(address, on, o)
      : this.client.writeRegister(address, on ? this.map.onValue : this.map.offValue, o);
  }
}
