// Types for the local ESLint plugin (boundaries.mjs), for the test that runs its rule.
import type { ESLint } from 'eslint';

declare const plugin: ESLint.Plugin;
export default plugin;
