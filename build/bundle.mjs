#!/usr/bin/env node
// Builds dist/rackpilot.cjs: one CommonJS file for Node 20 with every dependency inside, plus
// dist/prebuilds/ holding serialport's native add-on for each Linux architecture (x64, arm64,
// arm), chosen at run time. Runs from any directory: `node dist/rackpilot.cjs`.
//   node build/bundle.mjs [--outdir DIR] [--quiet]
import { build } from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outdir = args.includes('--outdir') ? args[args.indexOf('--outdir') + 1] : join(root, 'dist');
const quiet = args.includes('--quiet');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const missing = join(root, 'build/shims/missing.cjs');

rmSync(join(outdir, 'prebuilds'), { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, 'rackpilot.cjs');
await build({
  entryPoints: [join(root, 'agent/cli/entry.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  define: { __RACKPILOT_VERSION__: JSON.stringify(pkg.version) },
  alias: {
    'node-gyp-build': join(root, 'build/shims/node-gyp-build.cjs'),
    bufferutil: missing,
    'utf-8-validate': missing,
    'supports-color': missing,
  },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);

// hw-sim's fake nvidia-smi, for `rackpilot sim`/`demo` with simulated GPU hosts (docs/hw-sim.md).
mkdirSync(join(outdir, 'sim-bin'), { recursive: true });
cpSync(join(root, 'hw-sim/bin/nvidia-smi'), join(outdir, 'sim-bin/nvidia-smi'));
chmodSync(join(outdir, 'sim-bin/nvidia-smi'), 0o755);

const prebuilds = join(root, 'node_modules/@serialport/bindings-cpp/prebuilds');
for (const arch of ['linux-x64', 'linux-arm64', 'linux-arm']) {
  cpSync(join(prebuilds, arch), join(outdir, 'prebuilds', arch), { recursive: true });
}
if (!quiet) {
  const kb = (f) => (statSync(f).size / 1024).toFixed(0);
  console.log(`built ${outfile}: ${kb(outfile)} KiB (+ prebuilds/ for linux-x64, linux-arm64, linux-arm)`);
}
