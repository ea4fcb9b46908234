// Parsing cgminer-family replies, with the ordered cleanup of known malformed output
// (shared/reference/miners.md §1.4). JSON.parse runs first: the cleanup runs only when it fails,
// because it is slower and a valid string may contain "}{". Each step is a pure text rewrite
// named after the firmware that needs it; the result lists the steps that changed the text so
// callers can count repairs per device. Never throws.
//
// One deliberate difference from pyasic and the reference: bare nan/inf become null, not 0.
// A power-cap loop must see "unknown", never a fake zero.

export type RepairStep =
  | 'strip_terminators'
  | 'control_chars'
  | 'trailing_commas'
  | 'missing_comma_between_objects'
  | 'leading_comma_in_array'
  | 'missing_comma_before_key'
  | 'non_finite_numbers'
  | 'leading_comma'
  | 'truncated'
  | 'error_code_list';

export type ParseErrorCode = 'backend_down' | 'not_json' | 'bad_json';

export type ParseResult =
  | { readonly ok: true; readonly value: unknown; readonly repairs: readonly RepairStep[] }
  | { readonly ok: false; readonly code: ParseErrorCode; readonly message: string };

type Rewrite = (text: string) => string;

/** The steps, in the order they must run. */
export const REPAIR_STEPS: readonly (readonly [RepairStep, Rewrite])[] = [
  // 1. cgminer/pyasic/asic-rs: the NUL terminator and trailing newlines.
  ['strip_terminators', (t) => t.replace(/[\0\r\n\s]+$/, '')],
  // 2. btminer: raw newlines and control characters inside strings (e.g. the version).
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  ['control_chars', (t) => t.replace(/[\u0000-\u001f\u007f]/g, '')],
  // 3. btminer: trailing commas before a closing brace (and bracket).
  ['trailing_commas', (t) => t.replace(/,\s*([}\]])/g, '$1')],
  // 4. bmminer `stats` on S9 (2017) and D3: no comma between the two STATS objects.
  ['missing_comma_between_objects', (t) => t.replace(/}\s*{/g, '},{')],
  // 5. bmminer: a leading comma inside an array.
  ['leading_comma_in_array', (t) => t.replace(/\[\s*,\s*{/g, '[{')],
  // 6. btminer 2023-01-06: `"value""temp0":` (missing comma before a key; also after "").
  ['missing_comma_before_key', (t) => t.replace(/:"""(?=[A-Za-z_][^"]*":)/g, ':"","').replace(/(?<![:"])""(?=[A-Za-z_][^"]*":)/g, '","')],
  // 7. Avalon: bare nan / inf as values. null, never 0 (see the header).
  ['non_finite_numbers', (t) => t.replace(/([:[,]\s*)[-+]?(?:nan|inf(?:inity)?)(?=\s*[,}\]])/gi, '$1null')],
  // 8. Avalon garbage: a reply that starts with "," (e.g. `,"id":1}`).
  ['leading_comma', (t) => t.replace(/^\s*,/, '{')],
  // 9. btminer with hundreds of error entries: the buffer is cut off.
  ['truncated', closeTruncated],
  // 10. Whatsminer API 2.0.4: "error_code":["110":"2022-…"] is an object written as a list.
  ['error_code_list', (t) => t.replace(/"error_code":\[("[^"\]]*":"[^"\]]*"(?:,"[^"\]]*":"[^"\]]*")*)\]/g, '"error_code":{$1}')],
];

export function parseReply(raw: Buffer | string): ParseResult {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const first = tryParse(text);
  if (first.ok) return { ok: true, value: first.value, repairs: [] };
  const start = text.replace(/^[\s\0]+/, '');
  if (!start.startsWith('{') && !start.startsWith('[') && !start.startsWith(',')) {
    // cgminer front ends answer plain text when the mining daemon is not running.
    if (/connect(ion)? (failed|refused)|refused|not running/i.test(start.slice(0, 200))) {
      return { ok: false, code: 'backend_down', message: `miner daemon down: ${oneLine(start)}` };
    }
    return { ok: false, code: 'not_json', message: `not a JSON reply: ${oneLine(start)}` };
  }
  let t = text;
  const repairs: RepairStep[] = [];
  for (const [name, fn] of REPAIR_STEPS) {
    const next = fn(t);
    if (next !== t) repairs.push(name);
    t = next;
  }
  const second = tryParse(t);
  if (second.ok) return { ok: true, value: second.value, repairs };
  return { ok: false, code: 'bad_json', message: `malformed JSON after cleanup (${repairs.join(', ') || 'no step applied'}): ${second.message}` };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters become spaces in messages
  const l = s.replace(/[\u0000-\u001f]+/g, ' ').trim();
  return l.length > 80 ? `${l.slice(0, 80)}…` : l;
}

/**
 * A reply cut off mid-way: drop the incomplete last element (cut at the last "," outside a
 * string) and close every bracket still open. The reference appends one "}"; closing the real
 * stack also repairs a cut inside a nested list. Text that is already balanced is unchanged.
 */
function closeTruncated(t: string): string {
  const all = openBrackets(t);
  if (!all.closers.length && !all.inString) return t;
  if (all.lastComma < 0) return t; // nothing complete to keep
  const kept = t.slice(0, all.lastComma);
  return kept + openBrackets(kept).closers.reverse().join('');
}

/** The closers still owed at the end of `t` (outside strings), and the last comma's index. */
function openBrackets(t: string): { closers: string[]; inString: boolean; lastComma: number } {
  const closers: string[] = [];
  let inString = false;
  let escaped = false;
  let lastComma = -1;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') closers.push('}');
    else if (c === '[') closers.push(']');
    else if ((c === '}' || c === ']') && closers.length) closers.pop();
    else if (c === ',') lastComma = i;
  }
  return { closers, inString, lastComma };
}
