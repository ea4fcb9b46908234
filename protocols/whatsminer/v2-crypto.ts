// Whatsminer API v2 privileged-command envelope (shared/reference/miners.md §2.4), shared by the
// agent's client and hw-sim's btminer. Pure; decryption returns a typed result, never throws.
//
//   get_token → {time, salt, newsalt}
//   key  = md5crypt(password, "$1$"+salt+"$") after the last "$"
//   sign = md5crypt(key + time, "$1$"+newsalt+"$") after the last "$"
//   request  {"enc":1,"data": base64(AES-256-ECB(sha256(key), zero-padded JSON {cmd, token: sign, …}))}
//   reply    {"enc": base64(AES-256-ECB(…, JSON))}, NUL padding stripped
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { md5CryptTail } from './md5crypt.js';

export interface TokenInfo {
  readonly time: string;
  readonly salt: string;
  readonly newsalt: string;
}

export interface V2Session {
  /** The sign sent as "token" in every privileged command. */
  readonly sign: string;
  /** AES-256 key: the raw SHA-256 digest of the md5-crypt key. */
  readonly aesKey: Buffer;
}

export function deriveSession(password: string, t: TokenInfo): V2Session {
  const key = md5CryptTail(password, t.salt);
  return { sign: md5CryptTail(key + t.time, t.newsalt), aesKey: createHash('sha256').update(key).digest() };
}

function zeroPad(b: Buffer): Buffer {
  const pad = (16 - (b.length % 16)) % 16;
  return pad ? Buffer.concat([b, Buffer.alloc(pad)]) : b;
}

/** AES-256-ECB with zero padding (what btminer uses; PKCS#7 also decrypts, see decrypt()). */
export function encrypt(aesKey: Buffer, plaintext: string): string {
  const c = createCipheriv('aes-256-ecb', aesKey, null).setAutoPadding(false);
  return Buffer.concat([c.update(zeroPad(Buffer.from(plaintext, 'utf8'))), c.final()]).toString('base64');
}

export type DecryptResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

/** Decrypts and strips trailing NUL padding (and PKCS#7 padding, which some clients send). */
export function decrypt(aesKey: Buffer, b64: string): DecryptResult {
  const data = Buffer.from(b64, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) return { ok: false, message: `ciphertext of ${data.length} bytes is not a whole number of AES blocks` };
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-ecb', aesKey, null).setAutoPadding(false);
    plain = Buffer.concat([d.update(data), d.final()]);
  } catch (err) {
    return { ok: false, message: `AES decrypt failed: ${(err as Error).message}` };
  }
  let end = plain.length;
  const last = plain[end - 1] ?? 0;
  if (last > 0 && last <= 16 && plain.subarray(end - last).every((x) => x === last)) end -= last;
  while (end > 0 && plain[end - 1] === 0) end--;
  return { ok: true, text: plain.subarray(0, end).toString('utf8') };
}

/** The request line for a privileged command. */
export function sealCommand(session: V2Session, cmd: string, params: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ enc: 1, data: encrypt(session.aesKey, JSON.stringify({ cmd, token: session.sign, ...params })) });
}
