// The demo's security setup, made fresh in a temp directory at every start: a command-signing
// key pair (always), and — when openssl is there — a throw-away CA, a hub certificate for
// 127.0.0.1 and a client certificate for the demo agent, so hub and agent talk mutual TLS.
// Without openssl the demo says so on screen and runs without TLS (commands are still signed).

import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { HubOptions } from '../../hub/server.js';
import { Secret } from '../runtime/secret.js';
import { makeDevPki, opensslAvailable, writeSigningKey } from './pki.js';

export interface DemoSecurity {
  /** Options for the embedded hub. */
  readonly hub: Pick<HubOptions, 'signingKey' | 'tls'>;
  /** Keys for the agent config's hub section. */
  readonly agentHub: Record<string, unknown>;
  readonly mutualTls: boolean;
  /** One line for the screen: how the link is secured (or why it is not). */
  readonly note: string;
}

export async function demoSecurity(dir: string, agentId: string): Promise<DemoSecurity> {
  const keys = await writeSigningKey(dir, 'command-signing');
  const signingKey = createPrivateKey(await readFile(keys.privateKey, 'utf8'));
  const signed = { hub: { signingKey }, agentHub: { commandKeys: [keys.publicKey] } };
  let why = 'openssl was not found';
  if (await opensslAvailable()) {
    try {
      const pki = await makeDevPki(dir, [agentId]);
      const client = pki.clients[agentId] as { cert: string; key: string };
      return {
        hub: { ...signed.hub, tls: { cert: await readFile(pki.hubCert, 'utf8'), key: new Secret(await readFile(pki.hubKey, 'utf8')), clientCa: await readFile(pki.ca, 'utf8') } },
        agentHub: { ...signed.agentHub, tls: { ca: pki.ca, cert: client.cert, key: client.key } },
        mutualTls: true,
        note: `link: mutual TLS — hub certificate from a throw-away CA, agent certificate CN=${agentId} (made at start in ${dir})`,
      };
    } catch (err) {
      why = `openssl failed (${(err as Error).message.split('\n')[0] ?? ''})`;
    }
  }
  return { ...signed, mutualTls: false, note: `link: NO TLS — ${why}, so no throw-away certificates could be made; install openssl to see mutual TLS` };
}
