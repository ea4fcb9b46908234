// The STATUS of a cgminer-family reply, in any of its four shapes (shared/reference/miners.md
// §1.6), reduced to one record. Pure; never throws.
//
//  1  "STATUS":[{"STATUS":"S","When":…,"Code":11,"Msg":"Summary","Description":"cgminer 1.0.0"}]
//  2  "STATUS":"S" with When/Code/Msg/Description beside it (Whatsminer get_*, privileged replies)
//  3  "STATUS":{"STATUS":"S","when":…,"Msg":"stats","api_version":"1.0.0"} (Antminer new_api, *.cgi)
//  4  {"code":0,"when":…,"msg":{…},"desc":"get.device.info"} (Whatsminer v3; 0 ok, negative error)

export type StatusLetter = 'S' | 'I' | 'W' | 'E' | 'F';

export interface Status {
  /** S success, I informational (success), W warning, E error, F fatal; null when absent. */
  readonly letter: StatusLetter | null;
  readonly code: number | null;
  /** Msg as text (Whatsminer puts an object in Msg; see `payload`). */
  readonly msg: string | null;
  readonly description: string | null;
  readonly when: number | null;
  /** Msg when it is an object (Whatsminer shapes 2 and 4 carry their data there). */
  readonly payload: Readonly<Record<string, unknown>> | null;
  readonly shape: 1 | 2 | 3 | 4 | null;
}

/** S and I are successes (pyasic, asic-rs); W is accepted too: the data is there. */
export function statusOk(s: Status): boolean {
  return s.letter === 'S' || s.letter === 'I' || s.letter === 'W';
}

const NONE: Status = { letter: null, code: null, msg: null, description: null, when: null, payload: null, shape: null };

export function readStatus(reply: unknown): Status {
  if (!isRecord(reply)) return NONE;
  const st = reply['STATUS'];
  if (Array.isArray(st)) {
    const e: unknown = st[0];
    return isRecord(e) ? fromRecord(e, 1) : NONE;
  }
  if (typeof st === 'string') return fromRecord(reply, 2);
  if (isRecord(st)) return fromRecord(st, 3);
  if (typeof reply['code'] === 'number' && ('msg' in reply || 'desc' in reply)) {
    const code = reply['code'];
    const msg: unknown = reply['msg'];
    return {
      letter: code === 0 ? 'S' : 'E',
      code,
      msg: typeof msg === 'string' ? msg : null,
      description: typeof reply['desc'] === 'string' ? reply['desc'] : null,
      when: typeof reply['when'] === 'number' ? reply['when'] : null,
      payload: isRecord(msg) ? msg : null,
      shape: 4,
    };
  }
  return NONE;
}

function fromRecord(r: Readonly<Record<string, unknown>>, shape: 1 | 2 | 3): Status {
  const letter = typeof r['STATUS'] === 'string' ? r['STATUS'].trim().toUpperCase() : '';
  const msg = r['Msg'] ?? r['msg'];
  const when = r['When'] ?? r['when'];
  const code = r['Code'] ?? r['code'];
  return {
    letter: /^[SIWEF]$/.test(letter) ? (letter as StatusLetter) : null,
    code: typeof code === 'number' ? code : typeof code === 'string' && /^-?\d+$/.test(code) ? Number(code) : null,
    msg: typeof msg === 'string' ? msg : null,
    description: typeof r['Description'] === 'string' ? r['Description'] : null,
    when: typeof when === 'number' ? when : null,
    payload: isRecord(msg) ? msg : null,
    shape,
  };
}

export function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
