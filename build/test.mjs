#!/usr/bin/env node
// `make test`: generated-code drift check, type check, lint, then the vitest suites. Prints a last
// line "N passed, N failed" (vitest tests, plus each check step that failed counted as one
// failure) and exits non-zero when anything failed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (n) => join(root, 'node_modules/.bin', n);
const report = join(root, '.cache/test-report.json');

function run(name, cmd, args, env = {}) {
  return new Promise((resolve) => {
    process.stdout.write(`\n== ${name}\n`);
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('close', (code) => resolve(code === 0));
    child.on('error', () => resolve(false));
  });
}

const missing = [['protoc', 'protobuf-compiler'], ['mbpoll', 'mbpoll'], ['socat', 'socat'], ['openssl', 'openssl']]
  .filter(([t]) => !process.env.PATH.split(':').some((d) => existsSync(join(d, t))))
  .map(([, pkg]) => pkg);
if (missing.length) console.log(`note: missing test tools (${missing.join(', ')}); install with: sudo make tools`);

let checksFailed = 0;
for (const [name, cmd, args] of [
  ['generated code drift', process.execPath, [join(root, 'build/gen-proto.mjs'), '--check']],
  ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ['lint', bin('eslint'), ['.']],
]) {
  if (!(await run(name, cmd, args))) checksFailed++;
}

mkdirSync(dirname(report), { recursive: true });
rmSync(report, { force: true });
const vitestOk = await run('tests', bin('vitest'), ['run'], { RP_TEST_REPORT: report });
let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0) + (r.numFailedTestSuites && !r.numFailedTests ? r.numFailedTestSuites : 0);
  if (!vitestOk && failed === 0) failed = 1; // vitest failed outside any test (setup, unhandled error)
} else if (!vitestOk) {
  failed = 1;
}
failed += checksFailed;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
