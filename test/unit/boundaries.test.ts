// The import-boundary lint rule (build/eslint/boundaries.mjs) on small files placed in each
// layer: what the layers table in docs/architecture.md forbids is reported, what it allows is not.
import { Linter } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import plugin from '../../build/eslint/boundaries.mjs';

const ROOT = join(import.meta.dirname, '../..');
const linter = new Linter({ configType: 'flat' });
const config: Linter.Config[] = [{ files: ['**/*.ts'], plugins: { rackpilot: plugin }, rules: { 'rackpilot/boundaries': 'error' } }];

/** The rule's messages for `import … from spec` in a file at `file` (relative to the root). */
function lint(file: string, spec: string): string[] {
  return linter.verify(`import x from '${spec}';\nexport default x;\n`, config, { filename: join(ROOT, file) }).map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['agent/core/rack.ts', '../runtime/clock.js', 'agent/core may import only agent/core'],
    ['agent/core/rack.ts', 'ws', 'agent/core must stay pure'],
    ['hw-sim/run.ts', '../agent/main.js', 'hw-sim may not import agent/main.js'],
    ['protocols/wire/codec.ts', '../../agent/core/series.js', 'protocols may import only protocols/'],
    ['hub/server.ts', '../agent/uplink/hub-link.js', 'hub may import only agent/runtime'],
    ['agent/uplink/outbox.ts', '../../protocols/generated/rackpilot.js', 'generated protobuf code'],
    ['agent/runtime/exec.ts', '../drivers/types.js', 'agent/runtime may import only agent/runtime'],
    ['agent/drivers/types.ts', '../uplink/outbox.js', 'agent/drivers may import only'],
    ['agent/uplink/hub-link.ts', '../control/loop.js', 'agent/uplink may import only'],
    ['agent/control/loop.ts', '../local-api/status.js', 'agent/control may import only'],
    ['agent/control/loop.ts', '../../hw-sim/run.js', 'only agent/cli composes the simulator'],
    ['agent/local-api/status.ts', '../cli/view.js', 'agent/local-api may import only'],
  ])('%s may not import %s', (file, spec, message) => {
    expect(lint(file, spec).join('\n')).toContain(message);
  });

  it.each([
    ['agent/core/rack.ts', './series.js'],
    ['agent/control/loop.ts', '../drivers/types.js'],
    ['agent/local-api/status.ts', '../control/loop.js'],
    ['agent/cli/commands/demo.ts', '../../../hw-sim/run.js'],
    ['agent/main.ts', './uplink/hub-link.js'],
    ['hub/server.ts', '../agent/runtime/clock.js'],
    ['protocols/wire/codec.ts', '../generated/rackpilot.js'],
  ])('%s may import %s', (file, spec) => {
    expect(lint(file, spec)).toEqual([]);
  });
});
