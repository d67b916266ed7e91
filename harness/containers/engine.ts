// The Docker engine the containers runtime talks to, through testcontainers' client (dockerode).
//
// This workplace's facts (shared/reference/containers.md): containers use host networking (they
// share the host's loopback, and nothing goes to the bridge's private addresses); testcontainers
// must not start its resource reaper (an image from a registry) and must see the host as
// 127.0.0.1. Every container the harness starts carries labels naming its session and process, so
// that an explicit teardown, the process's exit hooks and the next session's sweep leave none behind.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

const { getContainerRuntimeClient } = await import('testcontainers');

export type RuntimeClient = Awaited<ReturnType<typeof getContainerRuntimeClient>>;

export const HARNESS_LABEL = 'fusion-billing.harness';
export const SESSION_LABEL = 'fusion-billing.session';
export const PID_LABEL = 'fusion-billing.pid';

/** Labels of a container of the session `session` started by this process. */
export function sessionLabels(session: string): Record<string, string> {
  return { [HARNESS_LABEL]: '1', [SESSION_LABEL]: session, [PID_LABEL]: String(process.pid) };
}

export function newSessionId(): string {
  return randomUUID();
}

/** Why no Docker engine can be used here, or undefined when one answers. */
export function dockerProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return 'no Docker engine (no /var/run/docker.sock and no DOCKER_HOST)';
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 15_000 });
  if (info.error) return `the docker client cannot run (${info.error.message})`;
  if (info.status !== 0) return `the Docker engine does not answer: ${(info.stderr || info.stdout).trim().split('\n')[0]}`;
  return undefined;
}

let client: Promise<RuntimeClient> | undefined;

export function runtimeClient(): Promise<RuntimeClient> {
  client ??= getContainerRuntimeClient();
  return client;
}

/** Removes, at once, the containers of `session` (for exit hooks: synchronous). */
export function removeSessionSync(session: string): void {
  const listed = spawnSync('docker', ['ps', '-aq', '--filter', `label=${SESSION_LABEL}=${session}`], { encoding: 'utf8', timeout: 30_000 });
  const ids = (listed.stdout ?? '').split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore', timeout: 60_000 });
}

/** The harness containers of this engine, with the session and process that started each. */
export function harnessContainersSync(): { id: string; session: string; pid: number }[] {
  const listed = spawnSync(
    'docker',
    ['ps', '-a', '--filter', `label=${HARNESS_LABEL}=1`, '--format', `{{.ID}} {{.Label "${SESSION_LABEL}"}} {{.Label "${PID_LABEL}"}}`],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return (listed.stdout ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, session, pid] = line.split(' ');
      return { id: id!, session: session ?? '', pid: Number(pid) };
    });
}

/** Removes harness containers whose process is gone (a run killed before its teardown). */
export function sweepOrphansSync(): number {
  const orphans = harnessContainersSync().filter((container) => !processAlive(container.pid));
  if (orphans.length) spawnSync('docker', ['rm', '-f', '-v', ...orphans.map((c) => c.id)], { stdio: 'ignore', timeout: 60_000 });
  return orphans.length;
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
