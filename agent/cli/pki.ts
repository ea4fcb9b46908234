// Throw-away certificates for the demo and the tests: a private CA, a hub certificate for
// localhost/127.0.0.1 and one client certificate per agent id (CN and DNS SAN = the agent id),
// made with the system's openssl (asynchronously; nothing here blocks). Keys are EC P-256 and
// mode 0600. Not for production: docs/security.md describes a real site's setup.
// Plus Ed25519 command-signing key pairs (node:crypto, no openssl needed).

import { execFile } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface DevPki {
  readonly dir: string;
  readonly ca: string;
  readonly hubCert: string;
  readonly hubKey: string;
  /** Certificate and key paths by agent id. */
  readonly clients: Readonly<Record<string, { readonly cert: string; readonly key: string }>>;
}

export interface SigningKeyFiles {
  readonly privateKey: string;
  readonly publicKey: string;
}

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 30_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

/** True when an openssl binary can be run. */
export function opensslAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile('openssl', ['version'], { timeout: 10_000 }, (err) => resolve(!err)));
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A certificate signed by the CA in `dir` (ca.pem, ca.key), with `ext` as its extensions. */
async function issue(dir: string, name: string, cn: string, ext: string, opts: { caName?: string } = {}): Promise<{ cert: string; key: string }> {
  const ca = opts.caName ?? 'ca';
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`;
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`], dir);
  await chmod(join(dir, `${name}.key`), 0o600);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** A CA named `name` in `dir` (name.pem, name.key). */
export async function makeCa(dir: string, name = 'ca'): Promise<string> {
  await openssl(['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=rackpilot throw-away ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await chmod(join(dir, `${name}.key`), 0o600);
  return join(dir, `${name}.pem`);
}

/** A hub (server) certificate for the given DNS names and IPs. */
export function issueServer(dir: string, name: string, hosts: readonly string[], opts: { caName?: string } = {}): Promise<{ cert: string; key: string }> {
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  return issue(dir, name, hosts[0] ?? 'hub', `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`, opts);
}

/** An agent (client) certificate: CN and DNS SAN are the agent id. */
export function issueClient(dir: string, agentId: string, opts: { caName?: string } = {}): Promise<{ cert: string; key: string }> {
  return issue(dir, `agent-${agentId}`, agentId, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:${agentId}\n`, opts);
}

/** CA + hub certificate (localhost, 127.0.0.1) + one client certificate per agent id. */
export async function makeDevPki(dir: string, agentIds: readonly string[]): Promise<DevPki> {
  const ca = await makeCa(dir);
  const hub = await issueServer(dir, 'hub', ['localhost', '127.0.0.1']);
  const clients: Record<string, { cert: string; key: string }> = {};
  for (const id of agentIds) clients[id] = await issueClient(dir, id);
  return { dir, ca, hubCert: hub.cert, hubKey: hub.key, clients };
}

/** An Ed25519 command-signing key pair as PEM files: NAME.key (PKCS#8, mode 0600) and NAME.pub (SPKI). */
export async function writeSigningKey(dir: string, name: string, opts: { overwrite?: boolean } = {}): Promise<SigningKeyFiles> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('ed25519');
  const files = { privateKey: join(dir, `${name}.key`), publicKey: join(dir, `${name}.pub`) };
  const flag = opts.overwrite ? 'w' : 'wx';
  await writeFile(files.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag });
  await writeFile(files.publicKey, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag });
  return files;
}
