// Stands in for node-gyp-build inside the bundle. serialport's native add-on is loaded from the
// prebuilds/ folder shipped next to the bundle (every Linux architecture rack controllers use),
// or, in a single executable, from the SEA asset of the same name. The build machine's
// architecture does not matter: the choice is made at run time on the target.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');

function libc() {
  try {
    const header = process.report.getReport().header;
    return header.glibcVersionRuntime ? 'glibc' : 'musl';
  } catch {
    return 'glibc';
  }
}

function candidates() {
  const l = libc();
  switch (process.arch) {
    case 'x64': return [`@serialport+bindings-cpp.${l}.node`];
    case 'arm64': return [`@serialport+bindings-cpp.armv8.${l}.node`];
    case 'arm': return [`@serialport+bindings-cpp.armv7.${l}.node`, `@serialport+bindings-cpp.armv6.${l}.node`];
    default: return [];
  }
}

function dlopen(file) {
  const m = { exports: {} };
  process.dlopen(m, file);
  return m.exports;
}

module.exports = function load() {
  const dir = `prebuilds/${process.platform}-${process.arch}`;
  const names = candidates();
  let sea;
  try {
    sea = require('node:sea');
  } catch {
    sea = undefined;
  }
  if (sea && sea.isSea()) {
    for (const n of names) {
      let buf;
      try {
        buf = Buffer.from(sea.getAsset(`${dir}/${n}`));
      } catch {
        continue;
      }
      const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rackpilot-')), n);
      fs.writeFileSync(tmp, buf, { mode: 0o500 });
      return dlopen(tmp);
    }
  } else {
    for (const n of names) {
      const file = path.join(__dirname, dir, n);
      if (fs.existsSync(file)) return dlopen(file);
    }
  }
  throw new Error(`serialport: no native add-on for ${process.platform}-${process.arch} (looked for ${names.join(', ') || 'nothing'} in ${dir})`);
};
