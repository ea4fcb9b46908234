// The malformed-output catalogue and transport faults simulated miners can be told to show
// (shared/reference/miners.md §1.2, §1.4). Each output quirk rewrites a correct JSON reply into
// the broken text the named firmware sends; hw-sim generates it here, independently of the
// agent's cleanup code, so the agent's repairs are tested against real bytes on a socket.

export const OUTPUT_QUIRKS = [
  /** bmminer `stats` on S9 (2017) / D3: no comma between the two STATS objects. */
  'stats-missing-comma',
  /** btminer: a trailing comma before a closing brace. */
  'trailing-comma',
  /** bmminer: a leading comma inside an array ("[,{"). */
  'array-leading-comma',
  /** btminer 2023-01-06: `"P222B""temp0":…` (no comma before a key). */
  'missing-comma-before-key',
  /** btminer: a raw newline inside a string value (the version). */
  'newline-in-string',
  /** Avalon: bare nan / inf where a number belongs. */
  'nan-values',
  /** Avalon garbage: the reply starts with "," instead of "{". */
  'leading-comma',
  /** btminer with hundreds of error entries: the reply is cut off (and the socket closed). */
  'truncated',
  /** Whatsminer API 2.0.4: "error_code":["110":"…"] (an object written as a list). */
  'error-code-list',
] as const;
export type OutputQuirk = (typeof OUTPUT_QUIRKS)[number];

export const TRANSPORT_QUIRKS = [
  /** Accept, read the request, never answer (a wedged cgminer). */
  'hang',
  /** Nothing listens on the RPC port: connection refused. */
  'refuse',
  /** End replies with "\n" and keep the socket open (firmware that never closes). */
  'newline-keep-open',
  /** Close without the NUL terminator. */
  'no-nul',
  /** Answer the plain text cgminer front ends send when the mining daemon is down. */
  'backend-down',
  /** Answer random bytes. */
  'garbage',
] as const;
export type TransportQuirk = (typeof TRANSPORT_QUIRKS)[number];

export const AUTH_QUIRKS = [
  /** LuxOS: another tool holds the only session; logon answers 402 this many times (param). */
  'session-held',
  /** Whatsminer: the write API is not enabled (45 "permission denied"). */
  'api-disabled',
  /** Whatsminer ≥ 20230911.12: get_token answers 136 (too many token requests). */
  'token-limit',
] as const;
export type AuthQuirk = (typeof AUTH_QUIRKS)[number];

export type Quirk = OutputQuirk | TransportQuirk | AuthQuirk;
const ALL: ReadonlySet<string> = new Set<string>([...OUTPUT_QUIRKS, ...TRANSPORT_QUIRKS, ...AUTH_QUIRKS]);

/** Parses the `quirks` device parameter: a list or a comma-separated string of names. */
export function parseQuirks(v: unknown): Set<Quirk> {
  const names = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : [];
  const out = new Set<Quirk>();
  for (const n of names.map((x) => x.trim()).filter(Boolean)) {
    if (!ALL.has(n)) throw new Error(`unknown miner quirk "${n}" (known: ${[...ALL].join(', ')})`);
    out.add(n as Quirk);
  }
  return out;
}

/** Which command's reply each output quirk breaks, as the named firmware does. */
const SCOPE: Readonly<Record<OutputQuirk, (command: string) => boolean>> = {
  'stats-missing-comma': (c) => c === 'stats',
  'trailing-comma': (c) => c === 'summary' || c === 'edevs',
  'array-leading-comma': (c) => c === 'stats' || c === 'pools',
  'missing-comma-before-key': (c) => c === 'get_psu' || c === 'summary',
  'newline-in-string': (c) => c === 'summary' || c === 'get_version',
  'nan-values': (c) => c === 'summary' || c === 'stats',
  'leading-comma': (c) => c === 'pools',
  truncated: (c) => c === 'get_error_code' || c === 'pools',
  'error-code-list': (c) => c === 'get_error_code',
};

/** Rewrites a reply (the JSON text) the way each active output quirk does for this command. */
export function mangle(json: string, command: string, quirks: ReadonlySet<Quirk>): { text: string; truncated: boolean } {
  let t = json;
  let truncated = false;
  const parts = command.split('+'); // a multi-command reply carries every part's section
  for (const q of OUTPUT_QUIRKS) {
    if (!quirks.has(q) || !parts.some(SCOPE[q])) continue;
    switch (q) {
      case 'stats-missing-comma':
        t = t.replace(/("STATS":\[\{[^\]]*?\}),\{/, '$1{');
        break;
      case 'trailing-comma':
        t = t.replace(/("[^"]*":[^,{}[\]]+)\}/, '$1,}');
        break;
      case 'array-leading-comma':
        t = t.replace(/":\[\{/, '":[,{');
        break;
      case 'missing-comma-before-key':
        t = t.replace(/("[^"]*":"[^"]*"),("[A-Za-z][^"]*":)/, '$1$2');
        break;
      case 'newline-in-string':
        t = t.replace(/("(?:Firmware Version|fw_ver|Description)":"[^"]{3})/, '$1\n');
        break;
      case 'nan-values':
        t = t.replace(/("(?:MHS av|GHS av|Temperature|temp1)":)-?[\d.]+/, '$1nan').replace(/("(?:MHS 1m|GHS 30m|rate_30m)":)-?[\d.]+/, '$1inf');
        break;
      case 'leading-comma':
        t = t.replace(/^\{/, ',');
        break;
      case 'truncated':
        t = t.slice(0, Math.floor(t.length * 0.7));
        truncated = true;
        break;
      case 'error-code-list':
        t = t.replace(/"error_code":\[((?:\{"[^"]*":"[^"]*"\},?)*)\]/, (_m, inner: string) => `"error_code":[${inner.replace(/[{}]/g, '')}]`);
        break;
    }
  }
  return { text: t, truncated };
}
