// Config of the rack controller itself: `type: host` in rack.yaml (docs/config.md).
import { s, type Infer } from '../../config/shape.js';

export const hostDeviceShape = s.object({
  id: s.id(),
  /** Host stats are cheap but change slowly; read them on their own interval, off the poll cycle. */
  intervalMs: s.int({ min: 1000, max: 3_600_000, unit: 'ms' }).default(10_000),
  /** Mount points whose space is reported (one channel each). */
  disks: s.array(s.string({ pattern: /^\/\S*$/, patternHint: 'an absolute path' }), { max: 32 }).default(['/']),
  /** Network interfaces whose counters are reported; absent = those with an address at start-up. */
  interfaces: s.array(s.string({ pattern: /^[A-Za-z0-9_.:@-]{1,15}$/, patternHint: 'an interface name' }), { max: 32 }).opt(),
  /** Read CPU and board temperatures from /sys/class/hwmon and /sys/class/thermal. */
  temperatures: s.boolean().default(true),
  labels: s.record(s.string()).default({}),
});

export type HostDeviceConfig = Infer<typeof hostDeviceShape> & { type: 'host' };
