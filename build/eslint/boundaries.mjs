// Import-boundary rule for rackpilot's layers (docs/architecture.md, "Layers"):
//   agent/core/**     imports only agent/core (pure: no I/O, no timers, no packages)
//   hw-sim/**         never imports agent/ or hub/ (a simulator sharing the agent's code could
//                     not catch the agent's bugs)
//   protocols/**      imports only protocols/ and packages (shared, pure codecs)
//   hub/**            never imports agent/ except agent/runtime (logging, clocks)
//   protocols/generated/** is imported only from protocols/wire/
//   agent/<layer>/**  imports only the agent layers AGENT_LAYERS allows it, and never hw-sim/ or
//                     hub/ (only agent/cli composes those)
// Relative imports are resolved against the importing file; bare package imports are checked
// for core (none allowed besides node built-ins that are pure: none).
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function layerOf(file) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  return rel;
}

/** Which agent folders each agent folder may import (docs/architecture.md, the layers table). */
const AGENT_LAYERS = {
  runtime: ['runtime'],
  config: ['config', 'core', 'runtime', 'drivers'],
  drivers: ['drivers', 'core', 'runtime', 'config'],
  uplink: ['uplink', 'core', 'runtime', 'config'],
  control: ['control', 'core', 'runtime', 'config', 'drivers', 'uplink'],
  'local-api': ['local-api', 'core', 'runtime', 'config', 'drivers', 'uplink', 'control'],
};

/** The agent folder of a path ("drivers" for agent/drivers/x.ts), or undefined. */
function agentLayer(rel) {
  const m = /^agent\/([^/]+)\//.exec(rel);
  return m ? m[1] : undefined;
}

function agentViolation(f, t) {
  const from = agentLayer(f);
  const allowed = from === undefined ? undefined : AGENT_LAYERS[from];
  if (!allowed) return undefined; // agent/cli and agent/main.ts compose everything
  if (t.startsWith('hw-sim/') || t.startsWith('hub/')) return `agent/${from} may not import ${t}: only agent/cli composes the simulator and the hub`;
  const to = agentLayer(t);
  if (t.startsWith('agent/') && (to === undefined || !allowed.includes(to))) {
    return `agent/${from} may import only ${allowed.map((l) => `agent/${l}`).join(', ')} from agent/ (not ${t})`;
  }
  return undefined;
}

function violation(from, to, spec) {
  const f = layerOf(from);
  const bare = to === null;
  const t = bare ? null : layerOf(to);
  if (f.startsWith('agent/core/')) {
    if (bare) return `agent/core must stay pure: it may not import the package "${spec}"`;
    if (!t.startsWith('agent/core/')) return `agent/core may import only agent/core (not ${t})`;
  }
  if (f.startsWith('hw-sim/') && !bare && (t.startsWith('agent/') || t.startsWith('hub/'))) {
    return `hw-sim may not import ${t}: the simulator must not share the agent's code`;
  }
  if (f.startsWith('protocols/') && !bare && !t.startsWith('protocols/')) return `protocols may import only protocols/ (not ${t})`;
  if (f.startsWith('hub/') && !bare && t.startsWith('agent/') && !t.startsWith('agent/runtime/')) {
    return `hub may import only agent/runtime from agent/ (not ${t})`;
  }
  if (!bare && t.startsWith('protocols/generated/') && !f.startsWith('protocols/wire/')) {
    return 'generated protobuf code is imported only through protocols/wire/codec.ts';
  }
  if (!bare && !f.startsWith('agent/core/')) return agentViolation(f, t);
  return undefined;
}

const rule = {
  meta: { type: 'problem', docs: { description: 'enforce rackpilot layer boundaries' }, schema: [] },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      const to = spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : null;
      if (to === null && spec.startsWith('node:') && !layerOf(file).startsWith('agent/core/')) return;
      const msg = violation(file, to, spec);
      if (msg) context.report({ node, message: msg });
    };
    return {
      ImportDeclaration: (n) => check(n.source, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
      ExportAllDeclaration: (n) => check(n.source, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n.source, n.source.value),
    };
  },
};

export default { rules: { boundaries: rule } };
