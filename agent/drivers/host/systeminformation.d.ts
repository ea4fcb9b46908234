// Types for the one systeminformation module rackpilot loads (deep import, so the bundle and the
// agent's memory carry lib/memory.js and its util, not the whole package: reference
// gpu-and-host.md §5.5 "Module and bundle cost").
declare module 'systeminformation/lib/memory.js' {
  import type { Systeminformation } from 'systeminformation';
  export function mem(): Promise<Systeminformation.MemData>;
}
