#!/usr/bin/env node
// Builds a single executable (Node SEA) from dist/rackpilot.cjs: runs on a machine with no Node
// and no node_modules. serialport's native add-on for the target travels as a SEA asset and is
// loaded by build/shims/node-gyp-build.cjs.
//
//   node build/sea.mjs                         this machine's architecture → dist/rackpilot-linux-<arch>
//   node build/sea.mjs --node PATH --arch arm64  another architecture: PATH is that architecture's
//                                              `node` binary of the same version (from nodejs.org)
//
// No V8 code cache: V8 accepts it only under the flags it was made with, and the agent runs
// with the unit's NODE_OPTIONS while a tech's `rackpilot diag …` runs without them — one of the
// two would print "Code cache data rejected" at every start. Start-up is the bundle's (measured).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const arch = opt('--arch') ?? process.arch;
const nodeBin = opt('--node') ?? process.execPath;
const dist = join(root, 'dist');
const bundle = join(dist, 'rackpilot.cjs');
if (!existsSync(bundle)) throw new Error('dist/rackpilot.cjs is missing: run make build first');

const addon = {
  x64: 'prebuilds/linux-x64/@serialport+bindings-cpp.glibc.node',
  arm64: 'prebuilds/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node',
  arm: 'prebuilds/linux-arm/@serialport+bindings-cpp.armv7.glibc.node',
}[arch];
if (!addon) throw new Error(`unsupported architecture ${arch} (x64, arm64, arm)`);

const blob = join(dist, 'sea-prep.blob');
const config = join(dist, 'sea-config.json');
writeFileSync(config, JSON.stringify({
  main: bundle,
  output: blob,
  disableExperimentalSEAWarning: true,
  useCodeCache: false,
  useSnapshot: false,
  assets: { [addon]: join(dist, addon) },
}, null, 2));
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });

const out = join(dist, `rackpilot-linux-${arch}`);
rmSync(out, { force: true });
copyFileSync(nodeBin, out);
chmodSync(out, 0o755);
execFileSync(join(root, 'node_modules/.bin/postject'), [out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: ['ignore', 'ignore', 'inherit'] });
rmSync(blob, { force: true });
rmSync(config, { force: true });
console.log(`built ${out}: ${(statSync(out).size / 1e6).toFixed(1)} MB (node ${process.version} for linux-${arch}; runs without node_modules)`);
