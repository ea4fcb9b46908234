// The software version, injected by the bundler (build/bundle.mjs); "dev" when run from source.
declare const __RACKPILOT_VERSION__: string | undefined;

export const VERSION: string = typeof __RACKPILOT_VERSION__ === 'string' ? __RACKPILOT_VERSION__ : '0.0.0-dev';
