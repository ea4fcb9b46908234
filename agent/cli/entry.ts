// Bundle entry: build/bundle.mjs builds dist/rackpilot.cjs from this file.
import { run } from './main.js';

run();
