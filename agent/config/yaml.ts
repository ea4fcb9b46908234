// YAML → plain data, with syntax errors as ConfigError (line and column).
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError, type Issue, type Shape } from './shape.js';

/** Parses YAML text; syntax errors become ConfigError with line and column. */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const issues: Issue[] = doc.errors.map((e) => ({
      path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
      reason: (e.message.split('\n')[0] ?? 'YAML syntax error').replace(/ at line \d+, column \d+:?$/, ''),
    }));
    throw new ConfigError(issues, source);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

/** Reads and validates a YAML file against a shape (device profiles). */
export async function loadYamlFile<T>(path: string, shape: Shape<T>, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', reason: `cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], path);
  }
  return shape.parse(parseYaml(text, path), path);
}

