// Optional dependencies left out of the bundle (bufferutil, utf-8-validate, supports-color).
// They must throw, not export an empty object: ws checks with try/require and then calls
// bufferUtil.mask, which an empty object would break (shared/reference/toolchain.md §3).
'use strict';
throw new Error('optional module not bundled');
