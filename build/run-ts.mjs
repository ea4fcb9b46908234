#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, tools): bundles it with esbuild into .cache/ and
// runs the result with node, passing the remaining arguments.
//   node build/run-ts.mjs bench/main.ts --only wire
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node build/run-ts.mjs FILE.ts [args…]');
  process.exit(2);
}
const outdir = join(root, '.cache/run-ts');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, basename(entry).replace(/\.ts$/, '.mjs'));
await build({
  entryPoints: [resolve(entry)],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Packages are bundled as in the shipped CLI (native ESM would see jsmodbus's CommonJS exports
  // differently); require() of Node built-ins from bundled CommonJS needs a real require, and the
  // node-gyp-build shim finds serialport's add-on through __dirname.
  banner: {
    js: "import { createRequire as __rpCreateRequire } from 'node:module'; import { dirname as __rpDirname } from 'node:path'; import { fileURLToPath as __rpPath } from 'node:url';"
      + ' const require = __rpCreateRequire(import.meta.url); const __filename = __rpPath(import.meta.url); const __dirname = __rpDirname(__filename);',
  },
  alias: {
    'node-gyp-build': join(root, 'build/shims/node-gyp-build.cjs'),
    bufferutil: join(root, 'build/shims/missing.cjs'),
    'utf-8-validate': join(root, 'build/shims/missing.cjs'),
    'supports-color': join(root, 'build/shims/missing.cjs'),
  },
  sourcemap: 'inline',
  logLevel: 'warning',
});
// serialport's native add-on, found next to the bundle by the node-gyp-build shim
const prebuilds = join(root, 'node_modules/@serialport/bindings-cpp/prebuilds', `${process.platform}-${process.arch}`);
if (existsSync(prebuilds)) cpSync(prebuilds, join(outdir, 'prebuilds', `${process.platform}-${process.arch}`), { recursive: true });
const child = spawn(process.execPath, ['--enable-source-maps', outfile, ...rest], { stdio: 'inherit', cwd: root });
child.on('close', (code) => process.exit(code ?? 1));
