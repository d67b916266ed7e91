// What every runtime does with Odoo, whatever runs it: one session directory (config, filestore,
// the working directory of Odoo processes), a PostgreSQL, batch odoo-bin runs one at a time
// (installs are CPU-bound and the machine has 2 cores), servers, logs kept in .harness/logs. A
// Platform says where PostgreSQL and odoo-bin run: local processes (local.ts) or containers
// (containers.ts); the session directory and the addons are at the same paths for both.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../../generators/repo-root.ts';
import { resolveEnterpriseSrc } from '../doctor.ts';
import { judgeTestRun, parseOdooLog, type OdooLogRecord } from '../odoo-log.ts';
import { findFreePort } from './free-port.ts';
import type { OdooExit } from './odoo-process.ts';
import { progressFromRecords } from './progress.ts';
import { ReceiverHandle, StripeMockHandle, type ServiceProcess } from '../services/handles.ts';
import type { ServiceKind } from '../services/process.ts';
import type { StripeMockOptions } from '../stripe/mock.ts';
import type {
  CreateDatabaseOptions,
  InstallAndTestOptions,
  OdooRuntime,
  OdooServer,
  OdooTestReport,
  PostgresAccess,
  PostgresShutdownMode,
  ProgressCallback,
  StartServerOptions,
  TestInstalledOptions,
} from './types.ts';

export { REPO_ROOT };

/** The addons directories after Odoo's own: an Enterprise tree when ODOO_ENTERPRISE_SRC names
 * one, then the requested ones (default: the generated module's out/). */
export function addonsDirsOf(requested: string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const enterprise = resolveEnterpriseSrc(env);
  return [...(enterprise ? [enterprise] : []), ...(requested ?? [join(REPO_ROOT, 'out')]).map((dir) => resolve(dir))];
}

/** A running odoo-bin, local process or container. */
export interface OdooRun {
  readonly exited: Promise<OdooExit>;
  readonly running: boolean;
  output(): string;
  /** Graceful stop (SIGTERM), forced after a grace period. */
  stop(): Promise<OdooExit>;
  /** Waits for the exit; past the deadline it is stopped and reported as timed out. */
  waitForExit(timeoutMs: number): Promise<OdooExit>;
  /** Synchronous kill, for process exit hooks. */
  killNow(): void;
}

export interface OdooInvocationSpec {
  /** odoo-bin arguments (a subcommand first when there is one). */
  args: string[];
  /** The working directory (a file named like a module there would shadow it). */
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  stdin?: string;
  onRecord: (record: OdooLogRecord) => void;
}

/** The PostgreSQL of a session, as the runtime drives it. */
export interface PostgresServer extends PostgresAccess {
  /** Odoo's db_host: a unix socket directory, or 127.0.0.1. */
  readonly host: string;
  start(progress: ProgressCallback): Promise<void>;
  stop(): Promise<void>;
  stopSync(): void;
  /** Shuts the server down, keeping its data (stopPostgres). */
  shutDown(mode: PostgresShutdownMode): Promise<void>;
  /** Starts it again after shutDown: same port, same data. */
  startAgain(progress: ProgressCallback): Promise<void>;
  /** Shell lines to reach (and clean up) a server kept for inspection. */
  keptLines(): string[];
}

export interface SessionPaths {
  dir: string;
  runDir: string;
  dataDir: string;
  configPath: string;
}

/** Where PostgreSQL and odoo-bin run. */
export interface Platform {
  readonly kind: OdooRuntime['kind'];
  readonly description: string;
  readonly identity: string;
  /** Called once per session, before anything runs (containers: images, leftovers). */
  prepare(session: SessionPaths, progress: ProgressCallback): Promise<void>;
  postgres(session: SessionPaths, port: number): PostgresServer;
  /** Odoo's own addons directories, as its processes see them. */
  odooAddonsPaths(): string[];
  spawnOdoo(invocation: OdooInvocationSpec): OdooRun;
  /** How to serve a kept database by hand. */
  serveCommandLine(session: SessionPaths): string;
  /** Starts a helper service (the Stripe mock, a webhook receiver) in a process or container of its own. */
  startService(
    kind: ServiceKind,
    options: object,
    logPath: string,
    progress: ProgressCallback,
  ): Promise<ServiceProcess & { killNow(): void }>;
  stop(): Promise<void>;
  stopSync(): void;
}

export interface HarnessRuntimeOptions {
  /** Addons directories after Odoo's own (and an Enterprise tree: addonsDirsOf); default [<repo>/out]. */
  addonsDirs?: string[];
  /** Where ODOO_ENTERPRISE_SRC and the like are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where run logs are kept (they outlive the runtime); default <repo>/.harness/logs. */
  logDir?: string;
  /** Leave PostgreSQL running and the session directory in place on stop(), for inspection. */
  keep?: boolean;
  installTimeoutMs?: number;
  serverStartTimeoutMs?: number;
}

const SESSION_PREFIX = 'fusion-odoo-';
/** The pid of the process a session directory belongs to: a later session sweeps it once that process is gone. */
const OWNER_FILE = 'owner.pid';
const DEFAULT_INSTALL_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_SERVER_START_TIMEOUT_MS = 180_000;
const KEPT_LOG_FILES = 40;

interface Session extends SessionPaths {
  cluster: PostgresServer;
}

export class HarnessRuntime implements OdooRuntime {
  readonly kind: OdooRuntime['kind'];
  readonly addonsDirs: string[];
  readonly logDir: string;
  private session: Session | undefined;
  private progress: ProgressCallback = () => {};
  private readonly processes = new Set<OdooRun>();
  private readonly services = new Set<ServiceProcess & { killNow(): void }>();
  /** Databases this session made, for the `keep` instructions. */
  private readonly databases = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly exitHook = (): void => this.stopSync();
  // An interrupted run (Ctrl-C, a test worker told to stop) must leave no server, cluster or
  // container behind: stop everything at once, then exit as the signal would have.
  private readonly signalHooks = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => ({
    signal,
    hook: (): void => {
      this.stopSync();
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[signal]);
    },
  }));

  constructor(
    protected readonly platform: Platform,
    private readonly options: HarnessRuntimeOptions = {},
  ) {
    this.kind = platform.kind;
    this.addonsDirs = addonsDirsOf(options.addonsDirs, options.env);
    this.logDir = resolve(options.logDir ?? join(REPO_ROOT, '.harness', 'logs'));
  }

  get description(): string {
    const enterprise = resolveEnterpriseSrc(this.options.env);
    return enterprise ? `${this.platform.description}, Enterprise addons ${enterprise}` : this.platform.description;
  }

  get identity(): string {
    return this.platform.identity;
  }

  /** The session directory (config, filestore, working directory). */
  get workDir(): string | undefined {
    return this.session?.dir;
  }

  get postgres(): PostgresServer {
    return this.requireSession().cluster;
  }

  async start(progress?: ProgressCallback): Promise<void> {
    if (this.session) return;
    if (progress) this.progress = progress;
    const swept = sweepOrphanSessions();
    if (swept) this.progress(`runtime: cleaned up ${swept} session(s) left by killed runs`);
    const dir = mkdtempSync(join(tmpdir(), SESSION_PREFIX));
    writeFileSync(join(dir, OWNER_FILE), String(process.pid));
    // mkdtemp makes it 0700: PostgreSQL (another OS user) and Odoo in containers must reach it.
    chmodSync(dir, 0o755);
    const paths: SessionPaths = { dir, runDir: join(dir, 'run'), dataDir: join(dir, 'filestore'), configPath: join(dir, 'odoo.conf') };
    mkdirSync(paths.runDir);
    mkdirSync(paths.dataDir);
    // Odoo may run as another user than this process (the official image's `odoo`).
    chmodSync(paths.runDir, 0o777);
    chmodSync(paths.dataDir, 0o777);
    mkdirSync(this.logDir, { recursive: true });
    process.on('exit', this.exitHook);
    for (const { signal, hook } of this.signalHooks) process.once(signal, hook);
    try {
      await this.platform.prepare(paths, this.progress);
      const cluster = this.platform.postgres(paths, await findFreePort());
      this.session = { ...paths, cluster };
      await cluster.start(this.progress);
      writeFileSync(paths.configPath, this.odooConfig(cluster, paths.dataDir));
    } catch (error) {
      await this.stop();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async stopPostgres(mode: PostgresShutdownMode): Promise<void> {
    this.progress(`postgres: stopping (${mode} shutdown)`);
    await this.requireSession().cluster.shutDown(mode);
  }

  async startPostgres(): Promise<void> {
    await this.requireSession().cluster.startAgain(this.progress);
  }

  createDatabase(db: string, options: CreateDatabaseOptions = {}): Promise<void> {
    return this.exclusive(async () => {
      this.databases.add(db);
      if (options.template) await this.duplicate(options.template, db);
      const modules = options.template ? (options.modules ?? []) : ['base', ...(options.modules ?? [])];
      if (modules.length > 0) await this.loadModules(db, 'install', modules);
    });
  }

  installModules(db: string, modules: string[]): Promise<void> {
    return this.exclusive(async () => {
      this.progress(`odoo: installing ${modules.join(',')} into ${db}`);
      await this.loadModules(db, 'install', modules);
    });
  }

  /** Upgrades modules on an existing database (`-u`), for `fusion-billing dev` and upgrade scenarios. */
  upgradeModules(db: string, modules: string[]): Promise<void> {
    return this.exclusive(async () => {
      this.progress(`odoo: upgrading ${modules.join(',')} in ${db}`);
      await this.loadModules(db, 'upgrade', modules);
    });
  }

  /** odoo-bin -i (install) or -u (upgrade) of `modules`, then stop; throws with the errors unless clean. */
  private async loadModules(db: string, action: 'install' | 'upgrade', modules: string[]): Promise<void> {
    const flag = action === 'install' ? '-i' : '-u';
    const exit = await this.runBatch(`${db}-${action}`, ['-d', db, flag, modules.join(','), '--stop-after-init', '--no-http']);
    this.assertClean(exit, action === 'install' ? `installing ${modules.join(',')} into ${db}` : `upgrading ${modules.join(',')} in ${db}`);
  }

  shell(db: string, script: string, name = 'shell'): Promise<string> {
    return this.exclusive(async () => {
      const exit = await this.runBatch(`${db}-${name}`, ['shell', '-d', db, '--no-http'], { stdin: script, subcommandFirst: true });
      this.assertClean(exit, `odoo-bin shell (${name}) on ${db}`);
      return exit.stdout;
    });
  }

  saveDatabase(db: string, dir: string): Promise<void> {
    return this.exclusive(async () => {
      const { cluster, dataDir } = this.requireSession();
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o777);
      await cluster.client('pg_dump', ['--format=custom', '--compress=0', '--no-owner', `--file=${join(dir, 'db.dump')}`, db]);
      const filestore = join(dataDir, 'filestore', db);
      if (existsSync(filestore)) cpSync(filestore, join(dir, 'filestore'), { recursive: true });
    });
  }

  restoreDatabase(dir: string, db: string): Promise<void> {
    return this.exclusive(async () => {
      const { cluster, dataDir } = this.requireSession();
      this.databases.add(db);
      this.progress(`postgres: restoring ${db} from ${dir}`);
      await cluster.client('createdb', ['--encoding=UTF8', '--template=template0', db]);
      // Two jobs: the machine has 2 cores, and index builds dominate the restore.
      await cluster.client('pg_restore', ['--no-owner', '--jobs=2', `--dbname=${db}`, join(dir, 'db.dump')]);
      const filestore = join(dir, 'filestore');
      if (existsSync(filestore)) {
        cpSync(filestore, join(dataDir, 'filestore', db), { recursive: true });
        openUp(join(dataDir, 'filestore'));
      }
    });
  }

  async installAndTest(db: string, modules: string[], options: InstallAndTestOptions = {}): Promise<OdooTestReport> {
    if (modules.length === 0) throw new Error('installAndTest needs at least one module');
    return this.exclusive(async () => {
      this.databases.add(db);
      if (options.template) await this.duplicate(options.template, db);
      const moduleUnderTest = options.moduleUnderTest ?? modules[modules.length - 1]!;
      const testTags = options.testTags ?? `/${moduleUnderTest}`;
      this.progress(`odoo: installing and testing ${modules.join(',')} in ${db} (tags ${testTags})`);
      return this.runTests(db, ['-i', modules.join(','), ...(options.extraArgs ?? [])], testTags, moduleUnderTest);
    });
  }

  async testInstalled(db: string, options: TestInstalledOptions): Promise<OdooTestReport> {
    return this.exclusive(async () => {
      this.progress(`odoo: post-install tests in ${db} (tags ${options.testTags})`);
      return this.runTests(db, options.extraArgs ?? [], options.testTags, options.gateModule);
    });
  }

  /** odoo-bin --test-enable on `db` with `args` (an -i, or nothing: the installed modules' post-install tests). */
  private async runTests(db: string, args: string[], testTags: string, gateModule: string): Promise<OdooTestReport> {
    // HttpCase starts a server on --http-port even with --stop-after-init: never the default 8069.
    const argv = [
      '-d',
      db,
      '--test-enable',
      `--test-tags=${testTags}`,
      '--stop-after-init',
      `--http-port=${await findFreePort()}`,
      ...args,
    ];
    const logPath = this.logPath(`${db}-test`);
    const exit = await this.runBatch(`${db}-test`, argv, { logPath, timeoutMs: this.options.installTimeoutMs });
    const verdict = judgeTestRun(exit.output, exit.exitCode, { module: gateModule });
    const problems = exit.timedOut ? [`timed out after ${exit.durationMs} ms`, ...verdict.problems] : verdict.problems;
    return {
      ok: problems.length === 0,
      problems,
      exitCode: exit.exitCode,
      testsRun: verdict.summary.testsRun,
      failed: verdict.summary.failed,
      errors: verdict.summary.errors,
      failures: verdict.failures,
      durationMs: exit.durationMs,
      logGate: verdict.logGate,
      rawLogPath: logPath,
    };
  }

  startServer(db: string, options: StartServerOptions = {}): Promise<OdooServer> {
    return this.exclusive(async () => {
      const port = options.port ?? (await findFreePort());
      const baseUrl = `http://127.0.0.1:${port}`;
      const args = [
        '-d',
        db,
        ...(options.dbFilter === false ? [] : [`--db-filter=^${db.replace(/[^A-Za-z0-9_-]/g, '\\$&')}$`]),
        `--http-port=${port}`,
        // Prefork mode also opens the longpolling (gevent) port: keep it off 8072 too.
        `--gevent-port=${await findFreePort()}`,
        `--workers=${options.workers ?? 0}`,
        ...(options.extraArgs ?? []),
      ];
      this.progress(`odoo: starting server for ${db} on ${baseUrl}`);
      const child = this.spawnOdoo(args, this.logPath(`${db}-server`));
      try {
        await waitForLogin(baseUrl, child, options.startTimeoutMs ?? this.options.serverStartTimeoutMs ?? DEFAULT_SERVER_START_TIMEOUT_MS);
      } catch (error) {
        await child.stop();
        this.processes.delete(child);
        throw error;
      }
      this.progress(`odoo: server for ${db} answers on ${baseUrl}`);
      return {
        baseUrl,
        db,
        logs: () => child.output(),
        stop: async () => {
          await child.stop();
          this.processes.delete(child);
        },
      };
    });
  }

  /** The stateful Stripe mock, in a process (local) or container of its own, on the loopback Odoo shares. */
  async startStripeMock(options: StripeMockOptions = {}): Promise<StripeMockHandle> {
    return new StripeMockHandle(await this.startService('stripe-mock', options));
  }

  /** An application's webhook receiver (verifies, dedups, answers as told), in its own process or container. */
  async startWebhookReceiver(): Promise<ReceiverHandle> {
    return new ReceiverHandle(await this.startService('receiver', {}));
  }

  private async startService(kind: ServiceKind, options: object): Promise<ServiceProcess> {
    this.requireSession();
    this.progress(`services: starting ${kind} (${this.kind})`);
    const service = await this.platform.startService(kind, options, this.logPath(kind), this.progress);
    this.services.add(service);
    return {
      ...service,
      stop: async () => {
        this.services.delete(service);
        await service.stop();
      },
    };
  }

  async createApiKey(db: string, login: string): Promise<string> {
    // odoo-bin shell runs stdin when it is not a TTY; sudo() allows a key without expiry (local-odoo.md).
    const script = [
      `user = env['res.users'].search([('login', '=', ${JSON.stringify(login)})], limit=1)`,
      `assert user, 'no user with login ' + ${JSON.stringify(login)}`,
      `key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'fusion-billing harness', None)`,
      'env.cr.commit()',
      "print('FUSION_BILLING_API_KEY=' + key, flush=True)",
      '',
    ].join('\n');
    const stdout = await this.shell(db, script, 'apikey');
    const key = /^FUSION_BILLING_API_KEY=(\S+)$/m.exec(stdout)?.[1];
    if (!key) throw new Error(`creating an API key for ${login} in ${db} printed no key:\n${tail(stdout)}`);
    return key;
  }

  async stop(): Promise<void> {
    const session = this.session;
    await Promise.all([...this.processes].map((child) => child.stop()));
    this.processes.clear();
    await Promise.all([...this.services].map((service) => service.stop()));
    this.services.clear();
    if (session && this.options.keep) {
      this.progress(this.keptInstructions());
      this.unhook();
      return;
    }
    this.session = undefined;
    await session?.cluster.stop();
    await this.platform.stop();
    if (session) rmSync(session.dir, { recursive: true, force: true });
    this.unhook();
  }

  private unhook(): void {
    process.off('exit', this.exitHook);
    for (const { signal, hook } of this.signalHooks) process.off(signal, hook);
  }

  /** How to reach what `keep` left behind. */
  keptInstructions(): string {
    const session = this.session;
    if (!session) return 'nothing kept';
    const databases = this.databases.size ? ` (databases: ${[...this.databases].join(', ')})` : '';
    return [
      `kept: ${session.dir}${databases}`,
      `  serve a database:  ${this.platform.serveCommandLine(session)}`,
      ...session.cluster.keptLines().map((line) => `  ${line}`),
      `  then:              rm -rf ${session.dir}`,
    ].join('\n');
  }

  // -------------------------------------------------------------------------------------------

  private odooConfig(cluster: PostgresServer, dataDir: string): string {
    const addonsPath = [...this.platform.odooAddonsPaths(), ...this.addonsDirs].join(',');
    return [
      '[options]',
      `addons_path = ${addonsPath}`,
      `data_dir = ${dataDir}`,
      `db_host = ${cluster.host}`,
      `db_port = ${cluster.port}`,
      `db_user = ${cluster.superuser}`,
      'http_interface = 127.0.0.1',
      // Crons firing in the background make end-to-end tests flaky; tests trigger them explicitly.
      'max_cron_threads = 0',
      '',
    ].join('\n');
  }

  private requireSession(): Session {
    if (!this.session) throw new Error('runtime not started: call start() first');
    return this.session;
  }

  private spawnOdoo(args: string[], logPath: string, extra: { stdin?: string; subcommandFirst?: boolean } = {}): OdooRun {
    const session = this.requireSession();
    const config = ['-c', session.configPath];
    // Subcommands (shell, db) must come first; -c goes after them.
    const fullArgs = extra.subcommandFirst ? [args[0]!, ...config, ...args.slice(1)] : [...config, ...args];
    const child = this.platform.spawnOdoo({
      args: fullArgs,
      cwd: session.runDir,
      // Never write __pycache__ into out/ (golden files) or the Odoo tree; caches already in the tree
      // are still read (a PYTHONPYCACHEPREFIX would ignore them: server start measured 2.2 s vs 1.1 s).
      env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      logPath,
      stdin: extra.stdin,
      onRecord: progressFromRecords('odoo', this.progress),
    });
    this.processes.add(child);
    void child.exited.then(() => this.processes.delete(child));
    return child;
  }

  private async runBatch(
    name: string,
    args: string[],
    extra: { logPath?: string; timeoutMs?: number; stdin?: string; subcommandFirst?: boolean } = {},
  ): Promise<OdooExit> {
    const child = this.spawnOdoo(args, extra.logPath ?? this.logPath(name), extra);
    return child.waitForExit(extra.timeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS);
  }

  /** `odoo-bin db duplicate`: a filestore-aware copy (local-odoo.md "Harness speed"). */
  private async duplicate(template: string, db: string): Promise<void> {
    const exit = await this.runBatch(`${db}-duplicate`, ['db', 'duplicate', template, db], { subcommandFirst: true });
    this.assertClean(exit, `copying database ${template} to ${db}`);
  }

  private assertClean(exit: OdooExit, what: string): void {
    const { records } = parseOdooLog(exit.output);
    const fatal = records.filter((record) => record.level === 'ERROR' || record.level === 'CRITICAL');
    if (exit.exitCode === 0 && fatal.length === 0) return;
    const details = fatal.length ? fatal.map((record) => record.message.split('\n').slice(0, 8).join('\n')).join('\n') : tail(exit.output);
    throw new Error(`${what} failed (exit ${exit.exitCode}${exit.timedOut ? ', timed out' : ''}):\n${details}`);
  }

  private logPath(name: string): string {
    pruneOldLogs(this.logDir);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    return join(this.logDir, `${stamp}-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.log`);
  }

  private async exclusive<T>(task: () => Promise<T>): Promise<T> {
    this.requireSession();
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }

  private stopSync(): void {
    for (const child of this.processes) child.killNow();
    for (const service of this.services) service.killNow();
    const session = this.session;
    if (this.options.keep && session) return;
    session?.cluster.stopSync();
    this.platform.stopSync();
    if (session) rmSync(session.dir, { recursive: true, force: true });
  }
}

async function waitForLogin(baseUrl: string, child: OdooRun, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) {
      const exit = await child.exited;
      throw new Error(`odoo server exited with code ${exit.exitCode} before answering:\n${tail(exit.output)}`);
    }
    try {
      const response = await fetch(`${baseUrl}/web/login`, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`odoo server did not answer 200 on ${baseUrl}/web/login within ${timeoutMs} ms:\n${tail(child.output())}`);
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function pruneOldLogs(logDir: string): void {
  const files = readdirSync(logDir)
    .filter((name) => name.endsWith('.log'))
    .map((name) => ({ path: join(logDir, name), mtime: statSync(join(logDir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const file of files.slice(KEPT_LOG_FILES)) rmSync(file.path, { force: true });
}

/** Opens a directory tree to every user: what the host writes is used by Odoo, which may run as another user (a container's). */
export function openUp(dir: string): void {
  chmodSync(dir, 0o777);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) openUp(path);
    else chmodSync(path, 0o666);
  }
}

/**
 * Removes the sessions of runs that were killed outright (SIGKILL: no hook runs): the processes
 * still holding a session directory (its PostgreSQL, its Odoo), then the directory. Sessions
 * whose owner is alive, or that name no owner, are left alone. Containers are swept by label.
 */
export function sweepOrphanSessions(root = tmpdir()): number {
  let swept = 0;
  for (const name of readdirSync(root)) {
    if (!name.startsWith(SESSION_PREFIX)) continue;
    const dir = join(root, name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) continue;
    spawnSync('pkill', ['-KILL', '-f', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    swept += 1;
  }
  return swept;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
