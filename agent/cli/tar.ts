// A minimal tar writer (POSIX ustar) with gzip from node:zlib, for `diag report`: regular files
// only, written from memory. No child process (no `tar` binary on the controller is assumed).
// Checked against GNU tar in test/unit/tar.test.ts.

import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

export interface TarEntry {
  /** Path inside the archive, "/"-separated, at most 255 bytes (split into prefix + name). */
  readonly name: string;
  readonly data: Buffer | string;
  /** File mode (default 0o644). */
  readonly mode?: number;
  /** Modification time, ms since the epoch. */
  readonly mtimeMs: number;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  // width - 1 digits and a NUL, as ustar writers do.
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** Splits a long path at a "/" so that prefix ≤ 155 and name ≤ 100 bytes. */
function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitName(e.name);
  const put = (s: string, at: number, len: number): void => {
    h.write(s, at, len, 'utf8');
  };
  put(name, 0, 100);
  put(octal(e.mode ?? 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(e.mtimeMs / 1000), 12), 136, 12);
  put(' '.repeat(8), 148, 8); // checksum, counted as spaces
  put('0', 156, 1); // regular file
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** The uncompressed archive: a header and padded data per entry, then two zero blocks. */
export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data;
    parts.push(header(e, data.length), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export async function tarGz(entries: readonly TarEntry[]): Promise<Buffer> {
  return promisify(gzip)(tar(entries));
}
