// Import-boundary rule for rackpilot's layers (docs/architecture.md, "Layers"):
//   agent/core/**     imports only agent/core (pure: no I/O, no timers, no packages)
//   hw-sim/**         never imports agent/ or hub/ (a simulator sharing the agent's code could
//                     not catch the agent's bugs)
//   protocols/**      imports only protocols/ and packages (shared, pure codecs)
//   hub/**            never imports agent/ except agent/runtime (logging, clocks)
//   protocols/generated/** is imported only from protocols/wire/
// Relative imports are resolved against the importing file; bare package imports are checked
// for core (none allowed besides node built-ins that are pure: none).
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function layerOf(file) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  return rel;
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
