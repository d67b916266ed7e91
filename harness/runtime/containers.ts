// ContainersRuntime: PostgreSQL and Odoo in Docker containers, through testcontainers, behind the
// same interface as LocalRuntime. Containers use the host's network (they share its loopback:
// 127.0.0.1 and the free ports the harness picks mean the same inside and out), and see the
// session directory, the addons directories and .harness/ at the same paths as the host, so that
// the Odoo configuration, log files and database dumps are the same as with local processes.
// Every container is labelled with its session; stop(), the process's exit and signal hooks and
// the next session's sweep remove them.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { odooTreeIdentity, resolveOdooSrc } from '../doctor.ts';
import { dockerProblem, newSessionId, removeSessionSync, runtimeClient, sessionLabels, sweepOrphansSync } from '../containers/engine.ts';
import { odooLayoutOf, resolveImage, type OdooLayout, type ResolvedImage } from '../containers/images.ts';
import {
  addonsDirsOf,
  HarnessRuntime,
  REPO_ROOT,
  type HarnessRuntimeOptions,
  type OdooInvocationSpec,
  type OdooRun,
  type Platform,
  type PostgresServer,
  type SessionPaths,
} from './harness-runtime.ts';
import { exitOrElse, OdooOutput, type OdooExit } from './odoo-process.ts';
import { CLUSTER_SUPERUSER, runClientTool, SERVER_SETTINGS } from './postgres-cluster.ts';
import type { ClientInput, PostgresShutdownMode, ProgressCallback } from './types.ts';
import { ENTRY, readyLine, type ServiceKind } from '../services/process.ts';

export interface ContainersRuntimeOptions extends HarnessRuntimeOptions {
  /** The Odoo tree local images are built from; default $ODOO_SRC or /opt/odoo. */
  odooSrc?: string;
}

const KILL_GRACE_SECONDS = 15;
const HARNESS_DIR = join(REPO_ROOT, '.harness');

class ContainersPlatform implements Platform {
  readonly kind = 'containers' as const;
  readonly session = newSessionId();
  private images: { postgres: ResolvedImage; odoo: ResolvedImage; identity: string } | undefined;
  /** Resolved (or built) when the first helper service starts. */
  private nodeImage: ResolvedImage | undefined;
  private layout: OdooLayout | undefined;

  constructor(
    private readonly odooSrc: string,
    private readonly addonsDirs: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get description(): string {
    if (!this.images) return 'containers (images not resolved yet)';
    const { postgres, odoo } = this.images;
    return `containers: PostgreSQL ${postgres.name} (${postgres.origin}), Odoo ${odoo.name} (${odoo.origin}), host network`;
  }

  get identity(): string {
    if (!this.images) throw new Error('the containers runtime has not resolved its images yet: call start() first');
    return this.images.identity;
  }

  async prepare(session: SessionPaths, progress: ProgressCallback): Promise<void> {
    const problem = dockerProblem(this.env);
    if (problem) throw new Error(`containers runtime: ${problem} (start dockerd, or use the local runtime)`);
    const swept = sweepOrphansSync();
    if (swept) progress(`containers: removed ${swept} container(s) left by an interrupted run`);
    const options = { env: this.env, odooSrc: this.odooSrc, progress };
    const postgres = await resolveImage('postgres', options);
    const odoo = await resolveImage('odoo', options);
    const ids = [postgres, odoo].map((image) =>
      spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', image.name], { encoding: 'utf8' }).stdout.trim(),
    );
    this.images = { postgres, odoo, identity: `containers ${ids.join(' ')} ${odooTreeIdentity(this.odooSrc)}` };
    this.layout = odooLayoutOf(odoo.name);
    mkdirSync(HARNESS_DIR, { recursive: true });
    progress(`runtime: ${this.description}`);
    void session;
  }

  /** Host directories every container sees at the same path. */
  binds(session: SessionPaths, readOnly: string[] = []): string[] {
    return [`${session.dir}:${session.dir}`, `${HARNESS_DIR}:${HARNESS_DIR}`, ...readOnly.map((dir) => `${dir}:${dir}:ro`)];
  }

  postgres(session: SessionPaths, port: number): PostgresServer {
    return new ContainerPostgres(this.requireImages().postgres.name, session, port, this.binds(session), sessionLabels(this.session));
  }

  odooAddonsPaths(): string[] {
    return this.requireLayout().addonsPaths;
  }

  spawnOdoo(invocation: OdooInvocationSpec): OdooRun {
    const session = sessionOf(invocation.cwd);
    return new ContainerOdooRun({
      image: this.requireImages().odoo.name,
      command: [...this.requireLayout().command, ...invocation.args],
      binds: this.binds(session, this.addonsDirs),
      labels: sessionLabels(this.session),
      invocation,
    });
  }

  /**
   * A helper service in a Node container (the official `node` image, or a local build on Debian's
   * Node.js 20): the repository, node_modules included, is mounted read-only at its own path.
   */
  async startService(kind: ServiceKind, options: object, logPath: string, progress: ProgressCallback) {
    this.nodeImage ??= await resolveImage('node', { env: this.env, odooSrc: this.odooSrc, progress });
    progress(`services: ${kind} in ${this.nodeImage.name} (${this.nodeImage.origin})`);
    const log = createWriteStream(logPath);
    let output = '';
    const container = await new GenericContainer(this.nodeImage.name)
      .withNetworkMode('host')
      .withBindMounts([{ source: REPO_ROOT, target: REPO_ROOT, mode: 'ro' }])
      .withWorkingDir(REPO_ROOT)
      .withEntrypoint(['node'])
      .withCommand(['--import', 'tsx', ENTRY, kind, JSON.stringify(options)])
      // tsx keeps its transpile cache under the temporary directory: a writable one of its own.
      .withTmpFs({ '/tmp': 'rw' })
      .withLabels(sessionLabels(this.session))
      .withLogConsumer((stream) => {
        stream.on('data', (chunk: Buffer | string) => {
          output += chunk.toString();
          log.write(chunk);
        });
        stream.on('end', () => log.end());
      })
      .withWaitStrategy(Wait.forLogMessage(/SERVICE_READY/))
      .withStartupTimeout(120_000)
      .start();
    const ready = await readyLine(
      () => output,
      () => undefined,
      `the ${kind} service`,
    );
    const id = container.getId();
    return {
      ...ready,
      stop: async () => {
        await container.stop({ timeout: 10, remove: true }).catch(() => {});
      },
      killNow: () => {
        spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore', timeout: 30_000 });
      },
    };
  }

  serveCommandLine(session: SessionPaths): string {
    const odoo = this.requireImages().odoo.name;
    const mounts = this.binds(session, this.addonsDirs)
      .map((bind) => `-v ${bind}`)
      .join(' ');
    return `docker run --rm --network host ${mounts} -w ${session.runDir} --entrypoint ${this.requireLayout().command[0]} ${odoo} ${this.requireLayout().command.slice(1).join(' ')} -c ${session.configPath} -d <db> --http-port 8069`;
  }

  async stop(): Promise<void> {
    this.stopSync();
  }

  stopSync(): void {
    removeSessionSync(this.session);
  }

  private requireImages() {
    if (!this.images) throw new Error('images not resolved: call start() first');
    return this.images;
  }

  private requireLayout(): OdooLayout {
    if (!this.layout) throw new Error('images not resolved: call start() first');
    return this.layout;
  }
}

/** The session a working directory belongs to (<session>/run). */
function sessionOf(runDir: string): SessionPaths {
  const dir = resolve(runDir, '..');
  return { dir, runDir, dataDir: join(dir, 'filestore'), configPath: join(dir, 'odoo.conf') };
}

/** PostgreSQL in a container: the official image's contract (or the local build's, the same). */
class ContainerPostgres implements PostgresServer {
  readonly host = '127.0.0.1';
  readonly superuser = CLUSTER_SUPERUSER;
  private container: StartedTestContainer | undefined;

  constructor(
    private readonly image: string,
    private readonly session: SessionPaths,
    readonly port: number,
    private readonly binds: string[],
    private readonly labels: Record<string, string>,
  ) {}

  async start(progress: ProgressCallback): Promise<void> {
    progress(`postgres: starting ${this.image} on 127.0.0.1:${this.port} (container)`);
    this.container = await new GenericContainer(this.image)
      .withNetworkMode('host')
      .withEnvironment({ POSTGRES_USER: CLUSTER_SUPERUSER, POSTGRES_HOST_AUTH_METHOD: 'trust', PGDATA: '/var/lib/postgresql/data' })
      .withCommand([
        'postgres',
        '-p',
        String(this.port),
        '-c',
        'listen_addresses=127.0.0.1',
        ...SERVER_SETTINGS.flatMap((setting) => ['-c', setting]),
      ])
      .withBindMounts(this.binds.map((bind) => ({ source: bind.split(':')[0]!, target: bind.split(':')[1]! })))
      .withLabels(this.labels)
      // The official image first runs a socket-only server for its init: TCP answers only when done.
      .withWaitStrategy(Wait.forSuccessfulCommand(`pg_isready -h 127.0.0.1 -p ${this.port} -U ${CLUSTER_SUPERUSER}`))
      .withStartupTimeout(180_000)
      .start();
    progress(`postgres: ready in container ${this.container.getId().slice(0, 12)}`);
    void this.session;
  }

  /**
   * PostgreSQL is the container's main process: pg_ctl's modes are its signals (fast: SIGINT,
   * immediate: SIGQUIT). The stopped container keeps its data volume for startAgain.
   */
  async shutDown(mode: PostgresShutdownMode): Promise<void> {
    const id = this.requireContainer().getId();
    await docker(['kill', '--signal', mode === 'fast' ? 'SIGINT' : 'SIGQUIT', id]);
    await docker(['wait', id]);
  }

  async startAgain(progress: ProgressCallback): Promise<void> {
    const id = this.requireContainer().getId();
    progress(`postgres: starting container ${id.slice(0, 12)} again on 127.0.0.1:${this.port}`);
    await docker(['start', id]);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const ready = await docker(['exec', id, 'pg_isready', '-h', '127.0.0.1', '-p', String(this.port), '-U', CLUSTER_SUPERUSER]).then(
        () => true,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL container ${id.slice(0, 12)} not ready 120 s after docker start`);
      await new Promise((done) => setTimeout(done, 500));
    }
  }

  client(tool: 'psql' | 'pg_dump' | 'pg_restore' | 'createdb' | 'dropdb', args: string[], stdin?: ClientInput): Promise<string> {
    const id = this.requireContainer().getId();
    // The tool of the server's own image, inside its container; dumps land in bind-mounted paths.
    return runClientTool(
      'docker',
      ['exec', '-i', id, tool, '-h', '127.0.0.1', '-p', String(this.port), '-U', CLUSTER_SUPERUSER, ...args],
      tool,
      args,
      stdin,
      REPO_ROOT,
    );
  }

  async stop(): Promise<void> {
    const container = this.container;
    this.container = undefined;
    await container?.stop({ timeout: 0, remove: true, removeVolumes: true }).catch(() => {});
  }

  stopSync(): void {
    const container = this.container;
    this.container = undefined;
    if (container) spawnSync('docker', ['rm', '-f', '-v', container.getId()], { stdio: 'ignore', timeout: 60_000 });
  }

  keptLines(): string[] {
    const id = this.container?.getId().slice(0, 12) ?? '<container>';
    return [
      `psql:              docker exec -it ${id} psql -h 127.0.0.1 -p ${this.port} -U ${this.superuser} <db>`,
      `stop PostgreSQL:   docker rm -f ${id}`,
    ];
  }

  private requireContainer(): StartedTestContainer {
    if (!this.container) throw new Error('PostgreSQL container not running');
    return this.container;
  }
}

/** The docker CLI; resolves with stdout, rejects with stderr on a non-zero exit. */
function docker(args: string[]): Promise<string> {
  return runClientTool('docker', args, 'docker', args, undefined, REPO_ROOT);
}

interface ContainerRunSpec {
  image: string;
  command: string[];
  binds: string[];
  labels: Record<string, string>;
  invocation: OdooInvocationSpec;
}

/** One odoo-bin run in its own container: output streamed to the log file and the record parser. */
class ContainerOdooRun implements OdooRun {
  readonly exited: Promise<OdooExit>;
  private id: string | undefined;
  private readonly started = Date.now();
  private readonly out: OdooOutput;
  private timedOut = false;
  private hasExited = false;

  constructor(private readonly spec: ContainerRunSpec) {
    this.out = new OdooOutput(spec.invocation.logPath, spec.invocation.onRecord);
    this.exited = this.run();
  }

  get running(): boolean {
    return !this.hasExited;
  }

  output(): string {
    return this.out.all;
  }

  async stop(): Promise<OdooExit> {
    if (this.hasExited) return this.exited;
    // SIGTERM (Odoo shuts down gracefully), SIGKILL after the grace.
    if (this.id) spawn('docker', ['stop', '-t', String(KILL_GRACE_SECONDS), this.id], { stdio: 'ignore' });
    return this.exited;
  }

  async waitForExit(timeoutMs: number): Promise<OdooExit> {
    return exitOrElse(this.exited, timeoutMs, () => {
      this.timedOut = true;
      void this.stop();
    });
  }

  killNow(): void {
    if (!this.hasExited && this.id) spawnSync('docker', ['rm', '-f', this.id], { stdio: 'ignore', timeout: 30_000 });
  }

  private async run(): Promise<OdooExit> {
    const { invocation } = this.spec;
    let exitCode = 125;
    try {
      const client = await runtimeClient();
      const docker = client.container.dockerode;
      const container = await docker.createContainer({
        Image: this.spec.image,
        Entrypoint: [this.spec.command[0]!],
        Cmd: this.spec.command.slice(1),
        Env: Object.entries(invocation.env).map(([name, value]) => `${name}=${value}`),
        WorkingDir: invocation.cwd,
        Labels: this.spec.labels,
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: invocation.stdin !== undefined,
        OpenStdin: invocation.stdin !== undefined,
        StdinOnce: invocation.stdin !== undefined,
        Tty: false,
        HostConfig: { NetworkMode: 'host', Binds: this.spec.binds },
      });
      this.id = container.id;
      const stream = await container.attach({
        stream: true,
        stdout: true,
        stderr: true,
        stdin: invocation.stdin !== undefined,
        hijack: invocation.stdin !== undefined,
      });
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      stdout.on('data', this.out.take(true));
      stderr.on('data', this.out.take(false));
      docker.modem.demuxStream(stream, stdout, stderr);
      const finished = new Promise<void>((done) => stream.on('end', done));
      await container.start();
      if (invocation.stdin !== undefined) stream.end(invocation.stdin);
      const status = (await container.wait()) as { StatusCode: number };
      exitCode = status.StatusCode;
      await Promise.race([finished, new Promise((done) => setTimeout(done, 2_000))]);
      await container.remove({ force: true, v: true }).catch(() => {});
    } catch (error) {
      this.out.note(`\n[harness] container run failed: ${(error as Error).message}\n`);
    }
    this.hasExited = true;
    if (this.timedOut) this.out.note('\n[harness] stopped after timeout\n');
    return this.out.close(exitCode, this.started, this.timedOut);
  }
}

export class ContainersRuntime extends HarnessRuntime {
  constructor(options: ContainersRuntimeOptions = {}) {
    const odooSrc = resolve(options.odooSrc ?? resolveOdooSrc(options.env));
    super(new ContainersPlatform(odooSrc, addonsDirsOf(options.addonsDirs, options.env), options.env ?? process.env), options);
  }
}
