// Types for build/unit-env.mjs.
export declare const UNIT: string;
export declare function unitEnvironment(unit?: string): Record<string, string>;
