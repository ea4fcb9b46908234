// rackpilot keygen [--out DIR] [--name NAME]
import { EXIT_OK, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { writeSigningKey } from '../pki.js';

export const keygenCommand: Command = {
  spec: {
    name: 'keygen',
    summary: 'make an Ed25519 key pair for signing hub commands',
    usage: 'rackpilot keygen [--out DIR] [--name NAME]',
    flags: {
      out: { type: 'string', value: 'DIR', help: 'directory for the key files', default: '.' },
      name: { type: 'string', value: 'NAME', help: 'file name stem: NAME.key (private, 0600) and NAME.pub', default: 'command-signing' },
    },
    details: [
      'The hub signs every command with NAME.key:   rackpilot hub --signing-key NAME.key …',
      'Each agent checks them with NAME.pub:        hub: { commandKeys: [NAME.pub] } in rack.yaml',
      'Keep NAME.key on the hub only. Existing files are never overwritten. See docs/security.md.',
    ].join('\n'),
  },
  async run(flags, _p, io) {
    const name = String(flags['name']);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError('--name must be letters, digits, "_", "." and "-"');
    let files;
    try {
      files = await writeSigningKey(String(flags['out']), name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new UsageError(`${String(flags['out'])}/${name}.key or .pub exists already; not overwriting (choose another --name or --out)`);
      throw err;
    }
    io.out.write(`private key (hub only, mode 0600): ${files.privateKey}\npublic key (for agents' hub.commandKeys): ${files.publicKey}\n`);
    return EXIT_OK;
  },
};
