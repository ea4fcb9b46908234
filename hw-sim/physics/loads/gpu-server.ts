// An AI GPU server: idle draw plus GPU draw proportional to utilisation; a power limit caps the
// whole server's draw (the sum of its GPUs' limits plus the idle base). GPU power follows load
// within a fraction of a second (the 1 s NVML average hides the rest).
import type { LoadFamily } from './index.js';

export const gpuServer: LoadFamily = {
  name: 'gpu-server',
  defaults: { nominalW: 6500, idleW: 1200, pf: 0.97, tauUpS: 0.5, tauDownS: 0.3 },
  targetW(l) {
    const want = l.spec.idleW + l.demand * (l.spec.nominalW - l.spec.idleW);
    return l.limitW === null ? want : Math.min(want, Math.max(l.spec.idleW, l.limitW));
  },
};
