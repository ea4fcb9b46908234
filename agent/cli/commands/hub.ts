// rackpilot hub [--listen HOST:PORT] [--tls-cert F --tls-key F [--client-ca F]] [--token-file F]
//               [--signing-key F] [--state-dir DIR] [--api-listen HOST:PORT]
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { loadTokenFile } from '../../../hub/auth.js';
import { startHub, type HubOptions } from '../../../hub/server.js';
import { parseHostPort } from '../../config/shape.js';
import { CredentialError, isLoopback, readPublicFile, readSecretFile } from '../../runtime/credentials.js';
import { createLogger, type Logger } from '../../runtime/log.js';
import { EXIT_OK, UsageError, type Flags } from '../args.js';
import { level, logLevelFlag, type Command } from '../command.js';
import { untilSignal } from '../signals.js';

export const hubCommand: Command = {
  spec: {
    name: 'hub',
    summary: 'run the reference hub',
    usage: 'rackpilot hub [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE [--client-ca FILE]] [--token-file FILE] [--signing-key FILE] [--state-dir DIR] [--api-listen HOST:PORT]',
    flags: {
      listen: { type: 'string', value: 'HOST:PORT', help: 'address for agents (ws[s]://…/agent)', default: '127.0.0.1:8700' },
      'tls-cert': { type: 'string', value: 'FILE', help: 'PEM certificate: agents connect with wss://' },
      'tls-key': { type: 'string', value: 'FILE', help: 'PEM private key of --tls-cert (mode 0600)' },
      'client-ca': { type: 'string', value: 'FILE', help: 'PEM CA: agents must present a certificate it signed (mutual TLS); CN/DNS SAN = agent id' },
      'token-file': { type: 'string', value: 'FILE', help: 'bearer tokens, one "AGENT_ID TOKEN" per line (mode 0600)' },
      'signing-key': { type: 'string', value: 'FILE', help: 'Ed25519 private key (rackpilot keygen) that signs every command' },
      'state-dir': { type: 'string', value: 'DIR', help: 'keep the hub\'s state (journal, snapshot) here: exactly once across restarts' },
      'api-listen': { type: 'string', value: 'HOST:PORT', help: 'serve the HTTP API here (default with TLS or tokens: 127.0.0.1:8701; else on --listen)' },
      'max-payload': { type: 'number', value: 'BYTES', help: 'largest frame accepted from an agent', default: 1 << 20 },
      'log-level': logLevelFlag,
    },
    details: 'HTTP API: GET /metrics, GET /api/racks, GET /api/racks/{id}, POST /api/racks/{id}/commands {"action":"ping"|"rebirth"}.\nThe API has no authentication: keep it on loopback. Setup for a real site: docs/security.md.',
  },
  async run(flags) {
    const hp = hostPort(flags, 'listen');
    const max = Number(flags['max-payload']);
    if (!(max >= 1024)) throw new UsageError('--max-payload must be at least 1024');
    const log = createLogger({ level: level(flags, 'info') });
    let security: Partial<HubOptions>;
    try {
      security = await loadSecurity(flags, log);
    } catch (err) {
      if (err instanceof CredentialError) throw new UsageError(err.message);
      throw err;
    }
    const stateDir = flags['state-dir'];
    const hub = await startHub({ host: hp.host, port: hp.port, log, maxPayloadBytes: max, ...security, ...(typeof stateDir === 'string' ? { stateDir } : {}) });
    await untilSignal(() => hub.close());
    return EXIT_OK;
  },
};

function hostPort(flags: Flags, name: string): { host: string; port: number } {
  const hp = parseHostPort(String(flags[name]));
  if (!hp) throw new UsageError(`--${name} must be HOST:PORT (got "${String(flags[name])}")`);
  return hp;
}

/** TLS material, tokens, the signing key and where the API goes, from the flags' files. */
async function loadSecurity(flags: Flags, log: Logger): Promise<Partial<HubOptions>> {
  const str = (k: string): string | undefined => (typeof flags[k] === 'string' ? flags[k] : undefined);
  const [cert, key, ca, tokens, signing] = [str('tls-cert'), str('tls-key'), str('client-ca'), str('token-file'), str('signing-key')];
  if (!cert !== !key) throw new UsageError('--tls-cert and --tls-key go together');
  if (ca && !cert) throw new UsageError('--client-ca needs --tls-cert and --tls-key (mutual TLS runs over TLS)');
  const out: { -readonly [K in keyof HubOptions]?: HubOptions[K] } = {};
  if (cert && key) {
    out.tls = { cert: await readPublicFile(cert, '--tls-cert'), key: await readSecretFile(key, '--tls-key'), ...(ca ? { clientCa: await readPublicFile(ca, '--client-ca') } : {}) };
  }
  if (tokens) {
    if (!cert) log.warn('bearer tokens without --tls-cert travel in clear text; use TLS outside a lab');
    out.tokens = await loadTokenFile(tokens);
  }
  if (signing) out.signingKey = await readSigningKey(signing);
  else log.warn('no --signing-key: commands go out unsigned, and agents with command keys will refuse them');
  if (flags['api-listen'] !== undefined || cert || tokens) {
    const api = flags['api-listen'] !== undefined ? hostPort(flags, 'api-listen') : { host: '127.0.0.1', port: 8701 };
    if (!isLoopback(api.host)) log.warn('the HTTP API (which can send commands) listens beyond loopback and has no authentication', { api: `${api.host}:${api.port}` });
    out.api = api;
  }
  return out;
}

async function readSigningKey(path: string): Promise<KeyObject> {
  const pem = (await readSecretFile(path, '--signing-key')).reveal();
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new CredentialError('--signing-key', `${path} is not a PEM private key: ${(err as Error).message}`, err);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CredentialError('--signing-key', `${path} is a ${key.asymmetricKeyType ?? 'unknown'} key; use an Ed25519 key (rackpilot keygen)`);
  return key;
}
