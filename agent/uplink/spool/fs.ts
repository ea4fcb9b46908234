// The spool's file-system seam: the few operations the spool needs, as promises. main.ts passes
// `nodeSpoolFs`; tests pass a wrapper that fails chosen calls (ENOSPC, EIO) to prove that a full
// or failing disk never stops the agent.
//
// Contract: every method may reject with a Node-style error carrying `code` (ENOSPC, EIO,
// ENOENT…); none blocks the event loop. Files are created 0600 and directories 0700: spooled
// telemetry is the site's data.

import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface SpoolFile {
  /** Writes all of `data` at `position`; resolves with the bytes written (short only on error). */
  write(data: Uint8Array, position: number): Promise<number>;
  /** Reads into `into` from `position`; resolves with the bytes read (0 at end of file). */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Makes written data durable (fdatasync). */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface SpoolFs {
  /** Creates the directory (and parents) if missing. */
  mkdir(dir: string): Promise<void>;
  /** File names in a directory. */
  list(dir: string): Promise<string[]>;
  /** Opens for reading and writing at explicit positions, creating the file if asked. */
  open(path: string, create: boolean): Promise<SpoolFile>;
  /** The whole file, or undefined when it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Replaces a file atomically and durably: temp file, fdatasync, rename, directory sync. */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Makes directory entries (new or removed files) durable. */
  syncDir(dir: string): Promise<void>;
  /** Bytes available to this (unprivileged) user on the directory's file system. */
  freeBytes(dir: string): Promise<number>;
}

class NodeSpoolFile implements SpoolFile {
  constructor(private readonly fh: FileHandle) {}

  async write(data: Uint8Array, position: number): Promise<number> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, position + done);
      if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      done += bytesWritten;
    }
    return done;
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    return (await this.fh.read(into, 0, into.length, position)).bytesRead;
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export const nodeSpoolFs: SpoolFs = {
  async mkdir(dir) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  },
  list: (dir) => readdir(dir),
  async open(path, create) {
    const flags = constants.O_RDWR | (create ? constants.O_CREAT : 0);
    return new NodeSpoolFile(await open(path, flags, 0o600));
  },
  async readFile(path) {
    try {
      return await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  async writeFileAtomic(path, data) {
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      await fh.writeFile(data);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await this.syncDir(dirname(path));
  },
  unlink: (path) => unlink(path),
  async syncDir(dir) {
    const fh = await open(dir, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async freeBytes(dir) {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  },
};
