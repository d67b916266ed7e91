// A run that is interrupted (Ctrl-C, SIGTERM from a test runner), that fails, or that is killed
// outright leaves nothing of the harness behind: no server, no PostgreSQL, no session directory, and
// on the containers runtime no container (a SIGKILLed run's containers are swept by the next start).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { PID_LABEL } from '../containers/engine.ts';
import { createRuntime, runtimeKind } from '../runtime/index.ts';
import { REPO_ROOT } from '../runtime/local.ts';

const kind = runtimeKind();

interface Probe {
  pid: number;
  workDir: string;
  baseUrl: string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

async function startProbe(mode: 'wait' | 'fail'): Promise<Probe> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'harness/support/teardown-probe.ts', mode], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  child.stderr.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  const ready = await new Promise<{ workDir: string; baseUrl: string }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as { workDir: string; baseUrl: string });
    });
    void exited.then((code) => reject(new Error(`the probe exited (${code}) before it was ready`)));
  });
  return { pid: child.pid!, ...ready, exited, kill: (signal) => child.kill(signal) };
}

/** What of the probe is still there: its session directory, processes or containers, its server. */
async function leftovers(probe: Probe): Promise<string[]> {
  const left: string[] = [];
  if (existsSync(probe.workDir)) left.push(`session directory ${probe.workDir}`);
  const processes = spawnSync('pgrep', ['-f', probe.workDir], { encoding: 'utf8' }).stdout.trim();
  if (processes) left.push(`processes ${processes.replace(/\n/g, ' ')}`);
  if (kind === 'containers') {
    const containers = spawnSync('docker', ['ps', '-aq', '--filter', `label=${PID_LABEL}=${probe.pid}`], {
      encoding: 'utf8',
    }).stdout.trim();
    if (containers) left.push(`containers ${containers.replace(/\n/g, ' ')}`);
  }
  const answering = await fetch(`${probe.baseUrl}/web/login`, { signal: AbortSignal.timeout(3_000) }).then(
    () => true,
    () => false,
  );
  if (answering) left.push(`a server still answering on ${probe.baseUrl}`);
  return left;
}

describe(`the ${kind} runtime leaves nothing behind`, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`when the run is interrupted (${signal})`, async () => {
      const probe = await startProbe('wait');
      expect(await leftovers(probe)).toContain(`session directory ${probe.workDir}`);
      probe.kill(signal);
      expect(await probe.exited).toBe(128 + (signal === 'SIGINT' ? 2 : 15));
      expect(await leftovers(probe)).toEqual([]);
    }, 300_000);
  }

  it('when the run fails after starting', async () => {
    const probe = await startProbe('fail');
    expect(await probe.exited).toBe(1);
    expect(await leftovers(probe)).toEqual([]);
  }, 300_000);

  it('when the run is killed outright (SIGKILL): the next start sweeps what it left', async () => {
    const probe = await startProbe('wait');
    probe.kill('SIGKILL');
    await probe.exited;
    // Nothing runs in a SIGKILLed process: its server, PostgreSQL (or containers) and directory stay…
    expect((await leftovers(probe)).length).toBeGreaterThan(0);
    // …until the next session starts.
    const next = createRuntime();
    await next.start();
    await next.stop();
    expect(await leftovers(probe)).toEqual([]);
  }, 300_000);
});
