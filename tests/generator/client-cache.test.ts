// The typed client's files are reused only for the very same inputs.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cachedFiles } from '../../generators/emitters/client-cache.ts';

afterEach(() => vi.unstubAllEnvs());

describe('client cache', () => {
  it('builds once per set of inputs and returns what was built', () => {
    const root = mkdtempSync(join(tmpdir(), 'fb-cache-'));
    let builds = 0;
    const build = (content: string) => () => {
      builds++;
      return [{ path: 'client/a.ts', content }];
    };
    expect(cachedFiles(root, ['ir', 'header'], build('one'))).toEqual([{ path: 'client/a.ts', content: 'one' }]);
    expect(cachedFiles(root, ['ir', 'header'], build('two'))).toEqual([{ path: 'client/a.ts', content: 'one' }]);
    expect(builds).toBe(1);
    // Any input that differs (even where the parts split) is another entry.
    expect(cachedFiles(root, ['irh', 'eader'], build('three'))[0]!.content).toBe('three');
    expect(builds).toBe(2);
    expect(readdirSync(join(root, '.cache/client'))).toHaveLength(2);
  });

  it('FUSION_NO_CACHE builds every time', () => {
    const root = mkdtempSync(join(tmpdir(), 'fb-cache-'));
    vi.stubEnv('FUSION_NO_CACHE', '1');
    let builds = 0;
    const build = () => [{ path: 'client/a.ts', content: String(++builds) }];
    cachedFiles(root, ['x'], build);
    expect(cachedFiles(root, ['x'], build)[0]!.content).toBe('2');
  });
});
