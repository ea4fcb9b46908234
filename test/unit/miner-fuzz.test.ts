// Fuzzing the code that reads bytes from miners (seeded, so a failure replays): framing, the
// cleanup, the STATUS reader, the v3 scanner, the Whatsminer decryption and every firmware
// parser, with random input and with mutations of real-shaped replies. The properties: nothing
// throws, errors are typed, and no parser turns garbage into a number that is not finite.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finishReply, newReplyScan, scanReply, type ScanResult } from '../../protocols/cgminer/framing.js';
import { parseReply } from '../../protocols/cgminer/sanitize.js';
import { readStatus } from '../../protocols/cgminer/status.js';
import { decrypt, deriveSession } from '../../protocols/whatsminer/v2-crypto.js';
import { newV3Scan, scanV3 } from '../../protocols/whatsminer/v3-framing.js';
import { emptyData, finishData, mergeData, type DataPatch } from '../../agent/drivers/miner/data.js';
import { parseBmminerStats, parseMinerConf } from '../../agent/drivers/miner/firmware/antminer.js';
import { parseBosConstraints, parseBosDetails, parseBosRpc, parseBosTunerState } from '../../agent/drivers/miner/firmware/braiins.js';
import { parsePools, parseSummary } from '../../agent/drivers/miner/firmware/cgminer.js';
import { parseLuxProfiles, parseLuxRpc } from '../../agent/drivers/miner/firmware/luxos.js';
import { parseVnishPresets, parseVnishSummary } from '../../agent/drivers/miner/firmware/vnish.js';
import { parseWmEdevs, parseWmErrors, parseWmStatus, parseWmSummary } from '../../agent/drivers/miner/firmware/whatsminer-v2.js';
import { parseV3DeviceInfo, parseV3Status } from '../../agent/drivers/miner/firmware/whatsminer-v3.js';

const SEED = 4028;
const FIX = join(import.meta.dirname, '../fixtures/miners');
const SAMPLES = readdirSync(FIX, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(FIX, d.name)).map((f) => readFileSync(join(FIX, d.name, f), 'utf8')));

const PARSERS: readonly ((v: unknown) => DataPatch)[] = [
  parseBmminerStats, parseMinerConf, parseSummary, (v) => parsePools(v), (v) => parseLuxRpc(v, [{ name: 'default', watts: 3000 }]),
  parseBosRpc, parseBosDetails, parseBosTunerState, parseWmSummary, parseWmEdevs, parseWmStatus, parseWmErrors, parseV3Status, parseV3DeviceInfo, parseVnishSummary,
];

function scanAll(chunks: readonly Uint8Array[]): ScanResult {
  let s = newReplyScan(1 << 16);
  for (const c of chunks) {
    const r = scanReply(s, Buffer.from(c));
    if (r.kind !== 'more') return r;
    s = r.state;
  }
  return finishReply(s);
}

/** Every number in the normalised record is finite (null allowed). */
function allFinite(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(allFinite);
  if (v && typeof v === 'object') return Object.values(v).every(allFinite);
  return true;
}

const mutation = fc.oneof(
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), s: fc.constantFrom('{', '}', '[', ']', ',', '"', ':', '\n', '\0', 'nan', '-inf', '}{', ',}', '\\') }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), b: fc.integer({ min: 0, max: 255 }) }),
);

interface Mutation {
  readonly op: 'cut' | 'delete' | 'insert' | 'flip';
  readonly at: number;
  readonly n?: number;
  readonly s?: string;
  readonly b?: number;
}

function mutate(text: string, ms: readonly Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const at = t.length ? m.at % (t.length + 1) : 0;
    if (m.op === 'cut') t = t.slice(0, at);
    else if (m.op === 'delete') t = t.slice(0, at) + t.slice(at + (m.n ?? 1));
    else if (m.op === 'insert') t = t.slice(0, at) + (m.s ?? '') + t.slice(at);
    else t = t.slice(0, at) + String.fromCharCode(m.b ?? 0) + t.slice(at + 1);
  }
  return t;
}

describe('fuzz: framing', () => {
  it('random bytes in random chunks: a typed result, never a throw; chunking never changes it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat({ max: 600 }), { maxLength: 6 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(prev, p));
          prev = p;
        }
        const whole = scanAll([bytes]);
        const split = scanAll(chunks);
        expect(['reply', 'error']).toContain(split.kind);
        expect(split.kind).toBe(whole.kind);
        if (split.kind === 'reply' && whole.kind === 'reply') expect(split.bytes.equals(whole.bytes)).toBe(true);
        if (split.kind === 'error') expect(['empty_reply', 'reply_too_large']).toContain(split.error.code);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('v3 length-prefixed scanning of random bytes: typed results only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 300 }), (bytes, cut) => {
        let s = newV3Scan(256);
        const at = cut % (bytes.length + 1);
        for (const c of [bytes.subarray(0, at), bytes.subarray(at)]) {
          const r = scanV3(s, Buffer.from(c));
          if (r.kind === 'error') {
            expect(['too_large', 'empty']).toContain(r.code);
            return;
          }
          if (r.kind === 'message') {
            expect(r.body.length).toBeLessThanOrEqual(256);
            return;
          }
          s = r.state;
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});

describe('fuzz: cleanup and parsers', () => {
  it('random text: parseReply returns ok or a typed error, never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (s) => {
        const r = parseReply(s);
        if (!r.ok) expect(['backend_down', 'not_json', 'bad_json']).toContain(r.code);
      }),
      { seed: SEED, numRuns: 600 },
    );
  });

  it('mutated real-shaped replies: typed outcome; whatever parses maps to finite numbers or null', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 5 }), (pick, ms) => {
        const text = mutate(SAMPLES[pick % SAMPLES.length] as string, ms);
        const r = parseReply(text);
        if (!r.ok) {
          expect(['backend_down', 'not_json', 'bad_json']).toContain(r.code);
          return;
        }
        readStatus(r.value);
        for (const p of PARSERS) {
          const d = finishData(mergeData(emptyData('antminer'), p(r.value)));
          expect(allFinite(d)).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('arbitrary JSON values through every parser: no throw, no non-finite numbers', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        for (const p of PARSERS) expect(allFinite(finishData(mergeData(emptyData('vnish'), p(v))))).toBe(true);
        parseLuxProfiles(v);
        parseVnishPresets(v);
        parseBosConstraints(v);
        readStatus(v);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('Whatsminer decryption of random input: typed result', () => {
    const key = deriveSession('admin', { time: '1', salt: 'abcdefgh', newsalt: 'ijklmnop' }).aesKey;
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (b64) => {
        const r = decrypt(key, b64);
        expect(typeof r.ok).toBe('boolean');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
