// The config as it may leave the site in a support report: secrets replaced, everything else
// (structure, addresses, paths of key and token files) kept so support can read the setup.
// Works on the parsed YAML, so comments — where people note passwords — are dropped too.
// What is redacted: values of keys that name a secret (password, token, secret, passphrase,
// privateKey), PEM blocks anywhere, and NAME=value words whose NAME names a secret (a prefix
// such as [env, API_TOKEN=…]), and user:password@ in URLs. Paths to key, token and password files are kept: their contents
// are never read here.

export const REDACTED = '[REDACTED]';

const SECRET_KEY = /^(password|passwd|pass|token|secret|passphrase|private_?key|api_?key|bearer)$/i;
/** user:password@ in a URL. */
const URL_USERINFO = /\/\/[^/@\s]+@/;
const SECRET_ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*(PASS(WORD)?|TOKEN|SECRET|KEY)[A-Za-z0-9_]*)=.+$/i;

export interface Redaction {
  readonly value: unknown;
  /** Config paths whose values were replaced, e.g. "devices[3].credentials.password". */
  readonly paths: readonly string[];
}

export function redactConfig(raw: unknown): Redaction {
  const paths: string[] = [];
  const walk = (v: unknown, path: string, key: string | undefined): unknown => {
    if (typeof v === 'string') {
      if ((key !== undefined && SECRET_KEY.test(key)) || v.includes('-----BEGIN')) {
        paths.push(path);
        return REDACTED;
      }
      if (URL_USERINFO.test(v)) {
        paths.push(path);
        return v.replace(URL_USERINFO, `//${REDACTED}@`);
      }
      const m = SECRET_ASSIGN.exec(v);
      if (m) {
        paths.push(path);
        return `${m[1] ?? ''}=${REDACTED}`;
      }
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, undefined));
    if (v !== null && typeof v === 'object') {
      if (key !== undefined && SECRET_KEY.test(key)) {
        paths.push(path);
        return REDACTED;
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, path ? `${path}.${k}` : k, k)]));
    }
    if (key !== undefined && SECRET_KEY.test(key) && v !== null && v !== undefined) {
      paths.push(path);
      return REDACTED;
    }
    return v;
  };
  return { value: walk(raw, '', undefined), paths };
}
