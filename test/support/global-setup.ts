// Builds the bundle once for the tests that run the real CLI (test/e2e/cli*.test.ts).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    bundle: string;
    /** A directory for the run's temporary files (spools, certificates), removed at the end. */
    tmpRoot: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = join(import.meta.dirname, '../..');
  const outdir = join(root, '.cache/test-bundle');
  await promisify(execFile)(process.execPath, [join(root, 'build/bundle.mjs'), '--outdir', outdir, '--quiet']);
  project.provide('bundle', join(outdir, 'rackpilot.cjs'));
  const tmpRoot = await mkdtemp(join(tmpdir(), 'rp-test-'));
  project.provide('tmpRoot', tmpRoot);
  return () => rm(tmpRoot, { recursive: true, force: true });
}
