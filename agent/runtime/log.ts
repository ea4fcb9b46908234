// Structured logs: one JSON object per line, with a level. Formatting happens only when the
// level is enabled. Secrets must never be passed as fields (config values of type Secret render
// as "[REDACTED]").

export type Level = 'debug' | 'info' | 'warn' | 'error';
export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
  enabled(level: Level): boolean;
}

export interface LogSink {
  write(line: string): unknown;
}

function errorFields(v: unknown): unknown {
  if (v instanceof Error) {
    const e = v as Error & { code?: unknown; cause?: unknown };
    return { name: e.name, message: e.message, ...(e.code !== undefined ? { code: e.code } : {}), ...(e.cause !== undefined ? { cause: errorFields(e.cause) } : {}) };
  }
  return v;
}

export function createLogger(opts: { level: Level; sink?: LogSink; now?: () => number; base?: Fields }): Logger {
  const sink = opts.sink ?? process.stderr;
  const now = opts.now ?? Date.now;
  const min = RANK[opts.level];
  const make = (base: Fields): Logger => {
    const emit = (level: Level, msg: string, fields?: Fields): void => {
      if (RANK[level] < min) return;
      const rec: Fields = { ts: new Date(now()).toISOString(), level, msg, ...base };
      if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = errorFields(v);
      let line: string;
      try {
        line = JSON.stringify(rec);
      } catch {
        line = JSON.stringify({ ts: rec['ts'], level, msg, note: 'fields not serialisable' });
      }
      sink.write(line + '\n');
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (f) => make({ ...base, ...f }),
      enabled: (level) => RANK[level] >= min,
    };
  };
  return make(opts.base ?? {});
}

/** A logger that drops everything (tests that do not look at logs). */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLogger;
  },
  enabled: () => false,
};
