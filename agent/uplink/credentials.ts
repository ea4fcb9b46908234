// What the agent needs to reach its hub securely, loaded from the files the config names:
// TLS trust anchor, client certificate and key (mutual TLS), bearer token, and the public keys
// that sign commands. Secrets come back as Secret; files with secrets must be mode 0600 (or
// stricter). wsOptions() turns them into ws client options with verification always on.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import type WebSocket from 'ws';
import type { HubConfig } from '../config/schema.js';
import { CredentialError, readPublicFile, readSecretFile } from '../runtime/credentials.js';
import type { Secret } from '../runtime/secret.js';

export interface HubCredentials {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: Secret;
  readonly serverName?: string;
  readonly token?: Secret;
  readonly commandKeys: readonly KeyObject[];
}

/** Loads the hub section's files (relative paths against `baseDir`). Throws CredentialError with the config path. */
export async function loadHubCredentials(hub: HubConfig, baseDir: string): Promise<HubCredentials> {
  const at = (p: string): string => resolve(baseDir, p);
  const t = hub.tls;
  const commandKeys: KeyObject[] = [];
  for (const [i, p] of hub.commandKeys.entries()) commandKeys.push(await readCommandKey(at(p), `hub.commandKeys[${i}]`));
  return {
    ...(t?.ca ? { ca: await readPublicFile(at(t.ca), 'hub.tls.ca') } : {}),
    ...(t?.cert ? { cert: await readPublicFile(at(t.cert), 'hub.tls.cert') } : {}),
    ...(t?.key ? { key: await readSecretFile(at(t.key), 'hub.tls.key') } : {}),
    ...(t?.serverName ? { serverName: t.serverName } : {}),
    ...(hub.tokenFile ? { token: await readSecretFile(at(hub.tokenFile), 'hub.tokenFile') } : {}),
    commandKeys,
  };
}

/** An Ed25519 public key (PEM SPKI) that command signatures are checked against. */
export async function readCommandKey(path: string, what: string): Promise<KeyObject> {
  const pem = await readPublicFile(path, what);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new CredentialError(what, `${path} is not a PEM public key: ${(err as Error).message}`, err);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CredentialError(what, `${path} is a ${key.asymmetricKeyType ?? 'unknown'} key; command keys are Ed25519 (rackpilot keygen makes one)`);
  return key;
}

/** ws client options: TLS ≥ 1.2 with the hub's certificate and host name always verified. */
export function wsOptions(c: HubCredentials): WebSocket.ClientOptions {
  return {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...(c.ca ? { ca: c.ca } : {}),
    ...(c.cert && c.key ? { cert: c.cert, key: c.key.reveal() } : {}),
    ...(c.serverName ? { servername: c.serverName } : {}),
    ...(c.token ? { headers: { authorization: `Bearer ${c.token.reveal()}` } } : {}),
  };
}
