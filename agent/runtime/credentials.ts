// Reading credentials from files: secrets (bearer tokens, private keys) must not be readable by
// group or others, and come back wrapped in Secret so they never print. Certificates and public
// keys are not secret and are read as they are. Errors name the file and say how to fix it.

import { readFile, stat } from 'node:fs/promises';
import { RackpilotError } from './errors.js';
import { Secret } from './secret.js';

export class CredentialError extends RackpilotError {
  /** `what` names the setting (a config path or a flag), `reason` says what is wrong with the file. */
  constructor(
    readonly what: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super('credential', `${what}: ${reason}`, { cause });
    this.name = 'CredentialError';
  }
}

/**
 * Reads a secret file (token, private key). Refuses a file that group or others may read, or
 * that is not a regular file. Tokens are trimmed; PEM keys keep their content.
 */
export async function readSecretFile(path: string, what: string): Promise<Secret> {
  let mode: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new CredentialError(what, `${path} is not a regular file`);
    mode = st.mode & 0o777;
  } catch (err) {
    if (err instanceof CredentialError) throw err;
    throw new CredentialError(what, `${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
  }
  if (mode & 0o077) {
    throw new CredentialError(what, `${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`);
  }
  const text = await readText(path, what);
  if (!text.trim()) throw new CredentialError(what, `${path} is empty`);
  return new Secret(text.includes('-----BEGIN') ? text : text.trim());
}

/** Reads a public file (certificate, CA bundle, public key). */
export async function readPublicFile(path: string, what: string): Promise<string> {
  const text = await readText(path, what);
  if (!text.trim()) throw new CredentialError(what, `${path} is empty`);
  return text;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CredentialError(what, `${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
  }
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
