// The request queue of one Modbus line: control writes overtake telemetry reads, FIFO within a
// priority (zigbee-herdsman's queue, reduced to what a bus needs).

export type Priority = 'control' | 'telemetry';

export class PriorityQueue<T> {
  private readonly control: T[] = [];
  private readonly telemetry: T[] = [];

  get size(): number {
    return this.control.length + this.telemetry.length;
  }

  push(item: T, p: Priority): void {
    (p === 'control' ? this.control : this.telemetry).push(item);
  }

  /** Puts an item back at the head of its lane (a busy retry keeps its place). */
  unshift(item: T, p: Priority): void {
    (p === 'control' ? this.control : this.telemetry).unshift(item);
  }

  shift(): T | undefined {
    return this.control.shift() ?? this.telemetry.shift();
  }

  remove(item: T): boolean {
    for (const lane of [this.control, this.telemetry]) {
      const i = lane.indexOf(item);
      if (i !== -1) {
        lane.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  drain(): T[] {
    return [...this.control.splice(0), ...this.telemetry.splice(0)];
  }
}
