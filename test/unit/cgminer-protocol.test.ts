// cgminer-family framing, the ordered cleanup of malformed replies, and the four STATUS shapes
// (protocols/cgminer/), against literal bytes and the fixtures in test/fixtures/miners/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRequest, finishReply, joinParameters, MAX_REQUEST_BYTES, newReplyScan, requestComplete, scanReply, type ScanResult } from '../../protocols/cgminer/framing.js';
import { parseReply, REPAIR_STEPS } from '../../protocols/cgminer/sanitize.js';
import { readStatus, statusOk } from '../../protocols/cgminer/status.js';

const FIX = join(import.meta.dirname, '../fixtures/miners');
const fixture = (path: string): Buffer => readFileSync(join(FIX, path));

/** Feeds `bytes` in the given chunks; returns the first non-'more' result, or the close result. */
function feed(chunks: readonly Buffer[]): ScanResult {
  let s = newReplyScan(1 << 20);
  for (const c of chunks) {
    const r = scanReply(s, c);
    if (r.kind !== 'more') return r;
    s = r.state;
  }
  return finishReply(s);
}

describe('cgminer request framing', () => {
  it('encodes JSON requests with a string parameter, and escapes commas and backslashes in arguments', () => {
    const r = encodeRequest('profileset', { parameter: joinParameters(['ab12cd34', '3200W']) });
    expect(r.ok && r.bytes.toString()).toBe('{"command":"profileset","parameter":"ab12cd34,3200W"}');
    expect(joinParameters(['a,b', 'c\\d'])).toBe('a\\,b,c\\\\d');
    const wm = encodeRequest('get_token', { key: 'cmd' });
    expect(wm.ok && wm.bytes.toString()).toBe('{"cmd":"get_token"}');
  });

  it('refuses a request larger than the daemon reads in one recv()', () => {
    const r = encodeRequest('x', { parameter: 'y'.repeat(MAX_REQUEST_BYTES) });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('request_too_large');
  });

  it('server side: a request is complete when it parses, at a newline or NUL, or at 4095 bytes', () => {
    expect(requestComplete(Buffer.from('{"command":"summ'))).toBe(false);
    expect(requestComplete(Buffer.from('{"command":"summary"}'))).toBe(true);
    expect(requestComplete(Buffer.from('summary'))).toBe(false);
    expect(requestComplete(Buffer.from('summary\n'))).toBe(true);
  });
});

describe('cgminer reply framing', () => {
  const reply = fixture('bitmain-s19pro-stock-49.0.1.3/summary.json').toString().trim();
  const wire = Buffer.from(`${reply}\0`);

  it('ends a reply at the NUL, whatever the chunking (every split point)', () => {
    for (let i = 0; i <= wire.length; i++) {
      const r = feed([wire.subarray(0, i), wire.subarray(i)]);
      expect(r.kind, `split at ${i}`).toBe('reply');
      if (r.kind === 'reply') {
        expect(r.bytes.toString()).toBe(reply);
        expect(r.terminator).toBe('nul');
      }
    }
  });

  it('ends at a newline outside any object (kept-open sockets), not at one inside a string or object', () => {
    const inString = Buffer.from('{"STATUS":[{"Msg":"a\nb"}],\n"id":1}\n');
    const r = feed([inString]);
    expect(r.kind).toBe('reply');
    if (r.kind === 'reply') {
      expect(r.terminator).toBe('newline');
      expect(r.bytes.toString()).toBe('{"STATUS":[{"Msg":"a\nb"}],\n"id":1}');
    }
    // A leading newline before any content is not an end.
    expect(feed([Buffer.from('\n{"a":1}\0')]).kind).toBe('reply');
  });

  it('takes what arrived when the peer closes (truncated replies are repaired later)', () => {
    const r = feed([Buffer.from('{"POOLS":[{"POOL":0},{"POO')]);
    expect(r.kind === 'reply' && r.terminator).toBe('close');
  });

  it('reports a close without content and an oversized reply as typed errors', () => {
    const empty = feed([]);
    expect(empty.kind === 'error' && empty.error.code).toBe('empty_reply');
    expect(feed([Buffer.from(' \n')]).kind).toBe('error');
    let s = newReplyScan(16);
    const big = scanReply(s, Buffer.from('{"a":"0123456789abcdef"}'));
    expect(big.kind === 'error' && big.error.code).toBe('reply_too_large');
    s = newReplyScan(16);
    expect(scanReply(s, Buffer.from('{}\0')).kind).toBe('reply');
  });

  it('returns the bytes after the terminator as rest', () => {
    const r = feed([Buffer.from('{"a":1}\0junk')]);
    expect(r.kind === 'reply' && r.rest.toString()).toBe('junk');
  });
});

describe('cleanup of malformed replies (applied in order, only when JSON.parse fails)', () => {
  it('lists the ten steps in the reference order', () => {
    expect(REPAIR_STEPS.map(([n]) => n)).toEqual([
      'strip_terminators', 'control_chars', 'trailing_commas', 'missing_comma_between_objects', 'leading_comma_in_array',
      'missing_comma_before_key', 'non_finite_numbers', 'leading_comma', 'truncated', 'error_code_list',
    ]);
  });

  it('leaves valid JSON alone, even a string containing "}{"', () => {
    const r = parseReply('{"Msg":"a}{b","x":[1,2]}');
    expect(r).toEqual({ ok: true, value: { Msg: 'a}{b', x: [1, 2] }, repairs: [] });
  });

  it('bmminer S9 (2017): the missing comma between the two STATS objects', () => {
    const r = parseReply(fixture('bitmain-s9-bmminer-1.0.0-2017/stats.txt'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.repairs).toEqual(['strip_terminators', 'missing_comma_between_objects']);
    expect((r.value as { STATS: unknown[] }).STATS).toHaveLength(2);
  });

  it('btminer 2023-01-06: a missing comma before a key, and trailing commas and a newline in the version', () => {
    const psu = parseReply(fixture('microbt-m30s-btminer-20230106/get_psu.txt'));
    expect(psu.ok && psu.repairs).toContain('missing_comma_before_key');
    expect(psu.ok && (psu.value as { Msg: Record<string, string> }).Msg['temp0']).toBe('41.5');
    const sum = parseReply(fixture('microbt-m30s-btminer-20230106/summary.txt'));
    expect(sum.ok && sum.repairs).toEqual(expect.arrayContaining(['control_chars', 'trailing_commas']));
    expect(sum.ok && (sum.value as { SUMMARY: Record<string, unknown>[] }).SUMMARY[0]!['Firmware Version']).toBe("'20230106.22.REL'");
  });

  it('Whatsminer 2.0.4: "error_code" written as a list of pairs becomes an object', () => {
    const r = parseReply(fixture('microbt-m30s-btminer-20230106/get_error_code.txt'));
    expect(r.ok && r.repairs).toEqual(['error_code_list']);
    expect(r.ok && (r.value as { Msg: unknown }).Msg).toEqual({ error_code: { '110': '2022-12-01 10:00:00', '111': '2022-12-01 10:00:05' } });
  });

  it('Avalon: bare nan/inf become null — unknown, never 0', () => {
    const r = parseReply(fixture('canaan-a1246-cgminer-4.11.1/summary.txt'));
    expect(r.ok && r.repairs).toContain('non_finite_numbers');
    const s = r.ok ? (r.value as { SUMMARY: Record<string, unknown>[] }).SUMMARY[0]! : {};
    expect(s['MHS av']).toBeNull();
    expect(s['MHS 1m']).toBeNull();
    expect(s['Temperature']).toBeNull();
    expect(s['MHS 5s']).toBe(81234567);
  });

  it('Avalon garbage starting with ",", and a bmminer leading comma inside an array', () => {
    const g = parseReply(fixture('canaan-a1246-cgminer-4.11.1/garbage.txt'));
    expect(g).toEqual({ ok: true, value: { id: 1 }, repairs: ['leading_comma'] });
    const a = parseReply('{"POOLS":[,{"POOL":0}],"id":1}');
    expect(a).toEqual({ ok: true, value: { POOLS: [{ POOL: 0 }], id: 1 }, repairs: ['leading_comma_in_array'] });
  });

  it('a truncated reply keeps its complete elements and closes what was open', () => {
    const r = parseReply('{"STATUS":[{"STATUS":"S","Code":131}],"Msg":{"error_code":[{"1":"a"},{"2":"b"},{"3":"c');
    expect(r.ok && r.repairs).toEqual(['truncated']);
    expect(r.ok && r.value).toEqual({ STATUS: [{ STATUS: 'S', Code: 131 }], Msg: { error_code: [{ '1': 'a' }, { '2': 'b' }] } });
  });

  it('plain-text replies: "backend down" and not-JSON are typed, and unrepairable JSON says which steps ran', () => {
    expect(parseReply('Socket connect failed: Connection refused\n')).toMatchObject({ ok: false, code: 'backend_down' });
    expect(parseReply('HTTP/1.1 400 Bad Request')).toMatchObject({ ok: false, code: 'not_json' });
    const bad = parseReply('{"a":[1,2}}}');
    expect(bad).toMatchObject({ ok: false, code: 'bad_json' });
  });
});

describe('STATUS in its four shapes', () => {
  it('1: a list of one record (standard cgminer)', () => {
    const s = readStatus(JSON.parse(fixture('bitmain-s19pro-stock-49.0.1.3/summary.json').toString()));
    expect(s).toMatchObject({ shape: 1, letter: 'S', code: 11, msg: 'Summary', description: 'cgminer 1.0.0', when: 1671102143 });
    expect(statusOk(s)).toBe(true);
    const denied = readStatus(JSON.parse(fixture('bitmain-s19pro-stock-49.0.1.3/devdetails.json').toString()));
    expect(denied).toMatchObject({ letter: 'E', code: 45 });
    expect(statusOk(denied)).toBe(false);
  });

  it('2: a top-level string with Msg beside it (Whatsminer get_* and status)', () => {
    const s = readStatus(JSON.parse(fixture('microbt-m50s-whatsminer-20230911.12/status.json').toString()));
    expect(s).toMatchObject({ shape: 2, letter: 'S', code: 131, msg: null });
    expect(s.payload?.['mineroff']).toBe('false');
  });

  it('3: an object with a lower-case "when" (Antminer new_api, *.cgi)', () => {
    const s = readStatus({ STATUS: { STATUS: 'S', when: 1671102143, Msg: 'stats', api_version: '1.0.0' }, INFO: {}, STATS: [] });
    expect(s).toMatchObject({ shape: 3, letter: 'S', when: 1671102143, msg: 'stats' });
  });

  it('4: {code, when, msg, desc} (Whatsminer v3): 0 ok, negative an error', () => {
    const ok = readStatus(JSON.parse(fixture('microbt-m60s-whatsminer-v3-20250214/get.device.info.json').toString()));
    expect(ok).toMatchObject({ shape: 4, letter: 'S', code: 0, description: 'get.device.info' });
    const denied = readStatus(JSON.parse(fixture('microbt-m60s-whatsminer-v3-20250214/no-permission.json').toString()));
    expect(denied).toMatchObject({ shape: 4, letter: 'E', code: -4, msg: 'no permission' });
  });

  it('anything else has no status (multi-command replies carry one per section)', () => {
    expect(readStatus({ summary: [{}], id: 1 })).toMatchObject({ shape: null, letter: null });
    expect(readStatus('text')).toMatchObject({ shape: null });
  });
});
