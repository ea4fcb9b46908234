// Whatsminer key derivation and envelopes (protocols/whatsminer/), cross-checked against
// Debian's openssl: `openssl passwd -1` for md5-crypt, `openssl enc -aes-256-ecb` for the
// envelope, `openssl dgst -sha256` for the v3 token.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md5Crypt, md5CryptTail } from '../../protocols/whatsminer/md5crypt.js';
import { decrypt, deriveSession, encrypt, sealCommand } from '../../protocols/whatsminer/v2-crypto.js';
import { encodeV3, newV3Scan, scanV3, v3Token } from '../../protocols/whatsminer/v3-framing.js';

const run = promisify(execFile);

async function openssl(args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { encoding: 'buffer', maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(new Error(err.message)) : resolve(stdout)));
    child.stdin?.end(input);
  });
}

describe('md5-crypt ($1$) against openssl passwd -1', () => {
  it.each([
    ['admin', 'BQ5hoXV9'],
    ['', 'abc'],
    ['a much longer password than sixteen bytes, to cover the block loop', '12345678'],
    ['pässwörd', 'sAlT.9/x'],
  ])('password %j, salt %j', async (pw, salt) => {
    const { stdout } = await run('openssl', ['passwd', '-1', '-salt', salt, pw]);
    expect(md5Crypt(pw, salt)).toBe(stdout.trim());
  });

  it('random passwords and salts (seeded)', async () => {
    const cases = fc.sample(fc.tuple(fc.string({ minLength: 0, maxLength: 40 }).filter((s) => !s.includes('\0')), fc.stringMatching(/^[A-Za-z0-9./]{1,8}$/)), { numRuns: 12, seed: 4028 });
    for (const [pw, salt] of cases) {
      const { stdout } = await run('openssl', ['passwd', '-1', '-salt', salt, pw]);
      expect(md5Crypt(pw, salt), `${JSON.stringify(pw)} / ${salt}`).toBe(stdout.trim());
    }
  });

  it('a salt longer than 8 or given as "$1$salt$" is cut like openssl does', () => {
    expect(md5Crypt('admin', '$1$BQ5hoXV9$')).toBe(md5Crypt('admin', 'BQ5hoXV9'));
    expect(md5Crypt('admin', 'BQ5hoXV9toolong')).toBe(md5Crypt('admin', 'BQ5hoXV9'));
  });
});

describe('API v2 envelope', () => {
  const token = { time: '4621', salt: 'BQ5hoXV9', newsalt: 'eLNbuqSu' };

  it('derives key and sign as the protocol says', () => {
    const s = deriveSession('admin', token);
    const key = md5CryptTail('admin', token.salt);
    expect(s.sign).toBe(md5CryptTail(key + token.time, token.newsalt));
    expect(s.aesKey.equals(createHash('sha256').update(key).digest())).toBe(true);
  });

  it('AES-256-ECB with zero padding decrypts with openssl', async () => {
    const s = deriveSession('admin', token);
    const line = JSON.parse(sealCommand(s, 'power_off', { respbefore: 'true' })) as { enc: number; data: string };
    expect(line.enc).toBe(1);
    const plain = await openssl(['enc', '-d', '-aes-256-ecb', '-nopad', '-K', s.aesKey.toString('hex')], Buffer.from(line.data, 'base64'));
    expect(JSON.parse(plain.toString('utf8').replace(/\0+$/, ''))).toEqual({ cmd: 'power_off', token: s.sign, respbefore: 'true' });
  });

  it('decrypts what openssl encrypts (PKCS#7 padding too), and types its failures', async () => {
    const s = deriveSession('admin', token);
    const text = '{"STATUS":"S","Code":131,"Msg":"API command OK"}';
    const enc = await openssl(['enc', '-aes-256-ecb', '-K', s.aesKey.toString('hex')], Buffer.from(text));
    expect(decrypt(s.aesKey, enc.toString('base64'))).toEqual({ ok: true, text });
    expect(decrypt(s.aesKey, encrypt(s.aesKey, text))).toEqual({ ok: true, text });
    expect(decrypt(s.aesKey, 'AAAA')).toMatchObject({ ok: false });
    expect(decrypt(s.aesKey, '')).toMatchObject({ ok: false });
  });
});

describe('API v3', () => {
  it('token = first 8 characters of base64(sha256(cmd + password + salt + ts)), as openssl computes it', async () => {
    const digest = await openssl(['dgst', '-sha256', '-binary'], Buffer.from('set.miner.power_limitsuperBQ5hoXV9ak31739500000'));
    expect(v3Token('set.miner.power_limit', 'super', 'BQ5hoXV9ak3', 1739500000)).toBe(digest.toString('base64').slice(0, 8));
  });

  it('length-prefixed frames decode at every split point; the length is capped', () => {
    const frame = encodeV3({ cmd: 'get.device.info', param: 'miner' });
    expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
    for (let i = 0; i <= frame.length; i++) {
      let s = newV3Scan();
      let r = scanV3(s, frame.subarray(0, i));
      if (r.kind === 'more') {
        s = r.state;
        r = scanV3(s, frame.subarray(i));
      }
      expect(r.kind, `split at ${i}`).toBe('message');
      if (r.kind === 'message') expect(JSON.parse(r.body.toString())).toEqual({ cmd: 'get.device.info', param: 'miner' });
    }
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(64 << 20, 0);
    expect(scanV3(newV3Scan(), huge)).toMatchObject({ kind: 'error', code: 'too_large' });
    expect(scanV3(newV3Scan(), Buffer.alloc(4))).toMatchObject({ kind: 'error', code: 'empty' });
  });
});
