import { Readable } from 'node:stream';
import Deserializer from 'xmlrpc/lib/deserializer.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const NEXA_PATH = 'spec/nexa.yaml';
export const NEXA = readFileSync(`${REPO}${NEXA_PATH}`, 'utf8');

/** Replaces the first occurrence of `find` (which must exist) and tells where `find` started. */
export function mutate(text: string, find: string, replace: string): { text: string; line: number; column: number } {
  const at = text.indexOf(find);
  if (at < 0) throw new Error(`mutation target not found: ${find}`);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return { text: text.slice(0, at) + replace + text.slice(at + find.length), line, column };
}

/** What a server reads from a methodCall (the package's own parser of calls). */
export function readCall(xml: string): Promise<{ method: string; params: unknown[] }> {
  return new Promise((resolve, reject) => {
    (
      new Deserializer() as unknown as {
        deserializeMethodCall(s: NodeJS.ReadableStream, cb: (e: Error | null, m: string, p: unknown[]) => void): void;
      }
    ).deserializeMethodCall(Readable.from([xml]), (error, method, params) => (error ? reject(error) : resolve({ method, params })));
  });
}
