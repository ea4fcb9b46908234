// md5-crypt ("$1$", the FreeBSD MD5 password scheme, as `openssl passwd -1`). Whatsminer's API v2
// derives its keys with it (shared/reference/miners.md §2.4) and Node has no built-in. Tested
// against `openssl passwd -1 -salt` (test/unit/whatsminer-crypto.test.ts).
import { createHash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAGIC = '$1$';

function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

function to64(v: number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return out;
}

/** The full hash "$1$<salt>$<22 chars>". The salt is cut at "$" and at 8 characters. */
export function md5Crypt(password: string, salt: string): string {
  const pw = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.replace(/^\$1\$/, '').split('$')[0]!.slice(0, 8), 'utf8');
  const alt = md5(pw, s, pw);
  const ctx = createHash('md5').update(pw).update(MAGIC).update(s);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(left, 16)));
  for (let i = pw.length; i; i >>= 1) ctx.update(i & 1 ? Buffer.of(0) : pw.subarray(0, 1));
  let fin = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const parts: Buffer[] = [i & 1 ? pw : fin];
    if (i % 3) parts.push(s);
    if (i % 7) parts.push(pw);
    parts.push(i & 1 ? fin : pw);
    fin = md5(...parts);
  }
  const b = (i: number): number => fin[i] as number;
  const out =
    to64((b(0) << 16) | (b(6) << 8) | b(12), 4) +
    to64((b(1) << 16) | (b(7) << 8) | b(13), 4) +
    to64((b(2) << 16) | (b(8) << 8) | b(14), 4) +
    to64((b(3) << 16) | (b(9) << 8) | b(15), 4) +
    to64((b(4) << 16) | (b(10) << 8) | b(5), 4) +
    to64(b(11), 2);
  return `${MAGIC}${s.toString('utf8')}$${out}`;
}

/** The part after the last "$" (what Whatsminer calls the key or the sign). */
export function md5CryptTail(password: string, salt: string): string {
  const h = md5Crypt(password, salt);
  return h.slice(h.lastIndexOf('$') + 1);
}
