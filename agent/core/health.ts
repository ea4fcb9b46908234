// Device health from poll outcomes: up (every request answered), degraded (some failed), down
// (none answered). Pure; returns the transition so the caller can emit an event.

export type Health = 'unknown' | 'up' | 'degraded' | 'down';

export interface HealthChange {
  readonly device: string;
  readonly from: Health;
  readonly to: Health;
}

export function healthOf(requests: number, failed: number): Health {
  if (requests === 0) return 'unknown';
  if (failed === 0) return 'up';
  return failed >= requests ? 'down' : 'degraded';
}

export class HealthTracker {
  private readonly state = new Map<string, Health>();

  update(device: string, requests: number, failed: number): HealthChange | undefined {
    const from = this.state.get(device) ?? 'unknown';
    const to = healthOf(requests, failed);
    if (from === to) return undefined;
    this.state.set(device, to);
    return { device, from, to };
  }

  get(device: string): Health {
    return this.state.get(device) ?? 'unknown';
  }

  entries(): IterableIterator<[string, Health]> {
    return this.state.entries();
  }
}
