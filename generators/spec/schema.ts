// JSON-Schema validation of a loaded spec, with Ajv's errors turned into located, readable messages.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { Diagnostic, SpecPath } from './diagnostics.ts';
import type { LoadedSpec } from './load.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../../spec/schema/fusion-billing.schema.json', import.meta.url));

let compiled: ReturnType<Ajv2020['compile']> | undefined;

function validator(): ReturnType<Ajv2020['compile']> {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
    compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
  }
  return compiled;
}

export function validateAgainstSchema(spec: LoadedSpec): Diagnostic[] {
  const validate = validator();
  if (validate(spec.data)) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const error of relevantErrors(validate.errors ?? [])) {
    const { path, message, onKey } = describe(error, spec.data);
    const d = spec.locate.at(path, message, onKey);
    const key = `${d.line}:${d.column}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Ajv reports every failed branch of if/then and oneOf; keep the errors a person can act on. */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const withoutWrappers = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf' && e.keyword !== 'allOf');
  // A decimal string given as a number fails both `type` and nothing else: keep it. A `const`/`enum`
  // failure inside a oneOf alternative is noise when another alternative's error is reported at the same place.
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of withoutWrappers) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  return withoutWrappers.filter((e) => {
    if (!e.schemaPath.includes('/oneOf/')) return true;
    const siblings = byPath.get(e.instancePath) ?? [];
    return e === siblings.find((s) => s.schemaPath.includes('/oneOf/'));
  });
}

function describe(error: ErrorObject, data: unknown): { path: SpecPath; message: string; onKey?: boolean } {
  const path = pointerToPath(error.instancePath, data);
  const where = path.length > 0 ? String(path[path.length - 1]) : 'spec';
  const value = valueAt(data, path);
  switch (error.keyword) {
    case 'required':
      return { path, message: `${where}: missing required key '${(error.params as { missingProperty: string }).missingProperty}'` };
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const params = error.params as { additionalProperty?: string; unevaluatedProperty?: string };
      const key = params.additionalProperty ?? params.unevaluatedProperty ?? '?';
      return { path: [...path, key], message: `${where}: unknown key '${key}'`, onKey: true };
    }
    case 'type':
      if (error.schemaPath.includes('decimalString') && typeof value === 'number') {
        return {
          path,
          message: `${where}: money must be a decimal string: write "${value}", not ${value} (Lago rejects numeric amounts)`,
        };
      }
      return { path, message: `${where}: expected ${(error.params as { type: string }).type}, got ${describeValue(value)}` };
    case 'pattern':
      if (error.schemaPath.includes('decimalString')) {
        return { path, message: `${where}: '${String(value)}' is not a non-negative decimal string like "0.05"` };
      }
      return { path, message: `${where}: '${String(value)}' does not match ${(error.params as { pattern: string }).pattern}` };
    case 'enum':
      return {
        path,
        message: `${where}: '${String(value)}' is not one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`,
      };
    case 'const':
      return { path, message: `${where}: expected ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}` };
    default:
      return { path, message: `${where}: ${error.message ?? error.keyword}` };
  }
}

function pointerToPath(pointer: string, data: unknown): SpecPath {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = Array.isArray(node) ? Number(key) : key;
    out.push(step);
    node = (node as Record<string | number, unknown> | undefined)?.[step];
  }
  return out;
}

function valueAt(data: unknown, path: SpecPath): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], data);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isFinite(value)) return `number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
