// Debian's protoc as an independent implementation of the wire format (cross-checks).
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const PROTO = 'protocols/proto/rackpilot/v1/rackpilot.proto';

function protoc(args: string[], input: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('protoc', ['-I', ROOT, ...args, join(ROOT, PROTO)], { encoding: 'buffer', maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`protoc ${args.join(' ')} failed: ${stderr.toString()}`));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}

/** protoc --decode: our bytes → protoc's text format. */
export async function protocDecode(type: string, bytes: Uint8Array): Promise<string> {
  return (await protoc([`--decode=rackpilot.v1.${type}`], Buffer.from(bytes))).toString('utf8');
}

/** protoc --encode: text format → protoc's bytes. */
export function protocEncode(type: string, text: string): Promise<Buffer> {
  return protoc([`--encode=rackpilot.v1.${type}`], text);
}
