// Starting a helper service (entry.ts) as a process or a container, and reading its ready line.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../generators/repo-root.ts';
import type { ServiceProcess } from './handles.ts';

export type ServiceKind = 'stripe-mock' | 'receiver';

export const REPO = REPO_ROOT;
export const ENTRY = join(REPO, 'harness', 'services', 'entry.ts');
const READY = /^SERVICE_READY (.+)$/m;
const START_TIMEOUT_MS = 60_000;

/** Waits for the ready line in `output()`; rejects when `failed()` says the service is gone. */
export async function readyLine(
  output: () => string,
  failed: () => string | undefined,
  what: string,
): Promise<{ control: string; info: Record<string, unknown> }> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const match = READY.exec(output());
    if (match) return JSON.parse(match[1]!) as { control: string; info: Record<string, unknown> };
    const failure = failed();
    if (failure) throw new Error(`${what} stopped before it was ready (${failure}):\n${output().slice(-2000)}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${what} was not ready within ${START_TIMEOUT_MS} ms:\n${output().slice(-2000)}`);
}

/** The service as a local Node process (tsx), its output in `logPath`. */
export async function spawnLocalService(
  kind: ServiceKind,
  options: object,
  logPath: string,
): Promise<ServiceProcess & { killNow(): void }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ENTRY, kind, JSON.stringify(options)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logPath);
  let output = '';
  let exit: string | undefined;
  const take = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    log.write(chunk);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<void>((done) =>
    child.once('close', (code, signal) => {
      exit = `exit ${code ?? signal}`;
      log.end();
      done();
    }),
  );
  let ready: Awaited<ReturnType<typeof readyLine>>;
  try {
    ready = await readyLine(
      () => output,
      () => exit,
      `the ${kind} service`,
    );
  } catch (error) {
    // No handle reaches the runtime: nothing else would ever stop this child.
    if (!exit) child.kill('SIGKILL');
    throw error;
  }
  return {
    ...ready,
    stop: async () => {
      if (exit) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    killNow: () => {
      if (!exit) child.kill('SIGKILL');
    },
  };
}
