// The parsed-spec cache (.cache/spec): a cached load is the parse it replaces — the same data, every
// node at the same line:column without parsing again — and a changed text is parsed afresh.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceLocator, SpecError, type SpecPath } from '../../generators/spec/diagnostics.ts';
import { loadSpecFile, loadSpecText } from '../../generators/spec/load.ts';
import { cachedSpecData, jsonFaithful } from '../../generators/spec/parsed-cache.ts';
import { REPO } from '../helpers.ts';

const NEXA = join(REPO, 'spec/nexa.yaml');
const temp = mkdtempSync(join(tmpdir(), 'fb-spec-cache-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Every path of the data: mapping values and sequence items, depth first. */
function pathsOf(value: unknown, at: SpecPath = []): SpecPath[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => [[...at, i], ...pathsOf(item, [...at, i])]);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => [[...at, key], ...pathsOf(item, [...at, key])]);
  return [];
}

describe('the parsed-spec cache', () => {
  it('locates every node of the shipped spec where a fresh parse does, without parsing again', () => {
    const text = readFileSync(NEXA, 'utf8');
    const fresh = loadSpecText(NEXA, text);
    const noParse = () => {
      throw new Error('parsed again');
    };
    const cached = new SourceLocator(NEXA, noParse, fresh.locate.positions());
    const paths = pathsOf(fresh.data);
    expect(paths.length).toBeGreaterThan(1000);
    for (const path of paths) {
      expect(cached.at(path, 'm'), JSON.stringify(path)).toEqual(fresh.locate.at(path, 'm'));
      if (typeof path.at(-1) === 'string')
        expect(cached.at(path, 'm', true), `key ${JSON.stringify(path)}`).toEqual(fresh.locate.at(path, 'm', true));
    }
  });

  it('gives the data of the parse it replaces, and parses a changed text afresh', () => {
    const file = join(temp, 'spec.yaml');
    const text = readFileSync(NEXA, 'utf8');
    writeFileSync(file, text);
    const first = loadSpecFile(file);
    expect(cachedSpecData(file, text)).toMatchObject({ found: true });
    const second = loadSpecFile(file);
    expect(second.data).toEqual(first.data);
    expect(second.data).toEqual(loadSpecText(file, text).data);

    const changed = text.replace('name: NexaCloud', 'name: NexaCloud Renamed');
    expect(changed).not.toBe(text);
    writeFileSync(file, changed);
    expect(cachedSpecData(file, changed)).toEqual({ found: false });
    expect(JSON.stringify(loadSpecFile(file).data)).toContain('NexaCloud Renamed');

    // A text that does not parse is never served from the cache: its problems are located as ever.
    writeFileSync(file, `${changed}\n  broken: [\n`);
    expect(() => loadSpecFile(file)).toThrow(SpecError);
  });

  it('keeps only data that JSON carries exactly', () => {
    expect(jsonFaithful({ a: [1, 'x', true, null, { b: 2.5 }] })).toBe(true);
    for (const value of [Number.POSITIVE_INFINITY, Number.NaN, -0, undefined, [undefined], { a: undefined }, new Date(0), 10n]) {
      expect(jsonFaithful(value), String(value)).toBe(false);
    }
  });
});
