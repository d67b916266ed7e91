// LocalRuntime: an unmodified Odoo 19 source tree run by Debian's Python against a throwaway
// PostgreSQL cluster, everything in one temporary directory that stop() removes.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPostgresBin, resolveOdooPython, resolveOdooSrc } from '../doctor.ts';
import { judgeTestRun, parseOdooLog } from '../odoo-log.ts';
import { findFreePort } from './free-port.ts';
import { OdooProcess, type OdooExit } from './odoo-process.ts';
import { PostgresCluster } from './postgres-cluster.ts';
import { progressFromRecords } from './progress.ts';
import type {
  CreateDatabaseOptions,
  InstallAndTestOptions,
  OdooRuntime,
  OdooServer,
  OdooTestReport,
  ProgressCallback,
  StartServerOptions,
} from './types.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LocalRuntimeOptions {
  /** Odoo source tree; default $ODOO_SRC or /opt/odoo. */
  odooSrc?: string;
  /** Interpreter with Odoo's dependencies; default $ODOO_PYTHON or /usr/bin/python3. */
  python?: string;
  /** Directory with initdb/pg_ctl/postgres; default: found like `doctor` does. */
  pgBin?: string;
  /** Addons directories after Odoo's own; default [<repo>/out]. */
  addonsDirs?: string[];
  /** Where run logs are kept (they outlive the runtime); default <repo>/.harness/logs. */
  logDir?: string;
  /** Leave PostgreSQL running and the temporary directory in place on stop(), for inspection. */
  keep?: boolean;
  installTimeoutMs?: number;
  serverStartTimeoutMs?: number;
}

const DEFAULT_INSTALL_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_SERVER_START_TIMEOUT_MS = 180_000;
const KEPT_LOG_FILES = 40;

interface Session {
  dir: string;
  runDir: string;
  configPath: string;
  dataDir: string;
  cluster: PostgresCluster;
}

export class LocalRuntime implements OdooRuntime {
  readonly kind = 'local' as const;
  readonly odooSrc: string;
  readonly python: string;
  readonly addonsDirs: string[];
  readonly logDir: string;
  private session: Session | undefined;
  private progress: ProgressCallback = () => {};
  private readonly processes = new Set<OdooProcess>();
  /** Databases this session made, for the `keep` instructions. */
  private readonly databases = new Set<string>();
  // One batch Odoo process at a time: installs are CPU-bound and the machine has 2 cores.
  private queue: Promise<unknown> = Promise.resolve();
  private readonly exitHook = (): void => this.stopSync();

  constructor(private readonly options: LocalRuntimeOptions = {}) {
    this.odooSrc = resolve(options.odooSrc ?? resolveOdooSrc());
    this.python = options.python ?? resolveOdooPython();
    this.addonsDirs = (options.addonsDirs ?? [join(REPO_ROOT, 'out')]).map((dir) => resolve(dir));
    this.logDir = resolve(options.logDir ?? join(REPO_ROOT, '.harness', 'logs'));
  }

  /** The temporary directory of the running session (config, cluster, filestore). */
  get workDir(): string | undefined {
    return this.session?.dir;
  }

  /** The running PostgreSQL cluster, for clients (psql, pg_dump) of scripts and benchmarks. */
  get postgres(): PostgresCluster {
    return this.requireSession().cluster;
  }

  async start(progress?: ProgressCallback): Promise<void> {
    if (this.session) return;
    if (progress) this.progress = progress;
    const odooBin = join(this.odooSrc, 'odoo-bin');
    if (!existsSync(odooBin)) throw new Error(`no odoo-bin in ${this.odooSrc}: run 'fusion-billing doctor'`);
    const pgBin = this.options.pgBin ?? findPostgresBin();
    if (!pgBin) throw new Error("PostgreSQL binaries not found: run 'fusion-billing doctor'");

    const port = await findFreePort();
    const dir = mkdtempSync(join(tmpdir(), 'fusion-odoo-'));
    const osUser = process.getuid?.() === 0 ? process.env.PG_OS_USER || 'postgres' : undefined;
    // mkdtemp makes it 0700; the PostgreSQL user must be able to reach its subdirectory.
    if (osUser) chmodSync(dir, 0o755);
    const runDir = join(dir, 'run');
    const dataDir = join(dir, 'filestore');
    mkdirSync(runDir);
    mkdirSync(dataDir);
    mkdirSync(this.logDir, { recursive: true });
    process.on('exit', this.exitHook);

    const cluster = new PostgresCluster({ pgBin, dir: join(dir, 'pg'), port, osUser });
    this.session = { dir, runDir, configPath: join(dir, 'odoo.conf'), dataDir, cluster };
    await cluster.start(this.progress);
    writeFileSync(this.session.configPath, this.odooConfig(cluster, dataDir));
  }

  createDatabase(db: string, options: CreateDatabaseOptions = {}): Promise<void> {
    return this.exclusive(async () => {
      this.databases.add(db);
      if (options.template) await this.duplicate(options.template, db);
      const modules = options.template ? (options.modules ?? []) : ['base', ...(options.modules ?? [])];
      if (modules.length === 0) return;
      const exit = await this.runBatch(`${db}-install`, ['-d', db, '-i', modules.join(','), '--stop-after-init', '--no-http']);
      this.assertClean(exit, `installing ${modules.join(',')} into ${db}`);
    });
  }

  /** -i modules on an existing database, without tests. */
  installModules(db: string, modules: string[]): Promise<void> {
    return this.exclusive(async () => {
      this.progress(`odoo: installing ${modules.join(',')} into ${db}`);
      const exit = await this.runBatch(`${db}-install`, ['-d', db, '-i', modules.join(','), '--stop-after-init', '--no-http']);
      this.assertClean(exit, `installing ${modules.join(',')} into ${db}`);
    });
  }

  /**
   * Runs a Python script in `odoo-bin shell` on `db` (`env` is bound; commit explicitly) and
   * returns what it printed on stdout. Throws with the log tail when it fails.
   */
  shell(db: string, script: string, name = 'shell'): Promise<string> {
    return this.exclusive(async () => {
      const exit = await this.runBatch(`${db}-${name}`, ['shell', '-d', db, '--no-http'], { stdin: script, subcommandFirst: true });
      this.assertClean(exit, `odoo-bin shell (${name}) on ${db}`);
      return exit.stdout;
    });
  }

  /**
   * Saves `db` (pg_dump custom format) and its filestore into `dir`, which outlives the session:
   * a later session restores it in seconds instead of installing modules again.
   */
  saveDatabase(db: string, dir: string): Promise<void> {
    return this.exclusive(async () => {
      const { cluster, dataDir } = this.requireSession();
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await cluster.client('pg_dump', ['--format=custom', '--compress=0', '--no-owner', `--file=${join(dir, 'db.dump')}`, db]);
      const filestore = join(dataDir, 'filestore', db);
      if (existsSync(filestore)) cpSync(filestore, join(dir, 'filestore'), { recursive: true });
    });
  }

  /** Creates `db` from a directory written by saveDatabase. */
  restoreDatabase(dir: string, db: string): Promise<void> {
    return this.exclusive(async () => {
      const { cluster, dataDir } = this.requireSession();
      this.databases.add(db);
      this.progress(`postgres: restoring ${db} from ${dir}`);
      await cluster.client('createdb', ['--encoding=UTF8', '--template=template0', db]);
      // Two jobs: the machine has 2 cores, and index builds dominate the restore.
      await cluster.client('pg_restore', ['--no-owner', '--jobs=2', `--dbname=${db}`, join(dir, 'db.dump')]);
      const filestore = join(dir, 'filestore');
      if (existsSync(filestore)) cpSync(filestore, join(dataDir, 'filestore', db), { recursive: true });
    });
  }

  async installAndTest(db: string, modules: string[], options: InstallAndTestOptions = {}): Promise<OdooTestReport> {
    if (modules.length === 0) throw new Error('installAndTest needs at least one module');
    return this.exclusive(async () => {
      this.databases.add(db);
      if (options.template) await this.duplicate(options.template, db);
      const moduleUnderTest = options.moduleUnderTest ?? modules[modules.length - 1]!;
      const testTags = options.testTags ?? `/${moduleUnderTest}`;
      // HttpCase starts a server on --http-port even with --stop-after-init: never the default 8069.
      const args = [
        '-d', db,
        '-i', modules.join(','),
        '--test-enable',
        `--test-tags=${testTags}`,
        '--stop-after-init',
        `--http-port=${await findFreePort()}`,
        ...(options.extraArgs ?? []),
      ];
      this.progress(`odoo: installing and testing ${modules.join(',')} in ${db} (tags ${testTags})`);
      const logPath = this.logPath(`${db}-test`);
      const exit = await this.runBatch(`${db}-test`, args, { logPath, timeoutMs: this.options.installTimeoutMs });
      const verdict = judgeTestRun(exit.output, exit.exitCode, { module: moduleUnderTest });
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
    });
  }

  startServer(db: string, options: StartServerOptions = {}): Promise<OdooServer> {
    return this.exclusive(async () => {
      const port = await findFreePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const args = [
        '-d', db,
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
        await waitForLogin(baseUrl, child, this.options.serverStartTimeoutMs ?? DEFAULT_SERVER_START_TIMEOUT_MS);
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

  createApiKey(db: string, login: string): Promise<string> {
    // odoo-bin shell runs stdin when it is not a TTY; sudo() allows a key without expiry (local-odoo.md).
    const script = [
      `user = env['res.users'].search([('login', '=', ${JSON.stringify(login)})], limit=1)`,
      `assert user, 'no user with login ' + ${JSON.stringify(login)}`,
      `key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'fusion-billing harness', None)`,
      'env.cr.commit()',
      "print('FUSION_BILLING_API_KEY=' + key, flush=True)",
      '',
    ].join('\n');
    return this.exclusive(async () => {
      const exit = await this.runBatch(`${db}-apikey`, ['shell', '-d', db, '--no-http'], { stdin: script, subcommandFirst: true });
      const key = /^FUSION_BILLING_API_KEY=(\S+)$/m.exec(exit.stdout)?.[1];
      if (exit.exitCode !== 0 || !key) {
        throw new Error(`creating an API key for ${login} in ${db} failed (exit ${exit.exitCode}):\n${tail(exit.output)}`);
      }
      return key;
    });
  }

  async stop(): Promise<void> {
    const session = this.session;
    if (!session) return;
    await Promise.all([...this.processes].map((child) => child.stop()));
    this.processes.clear();
    if (this.options.keep) {
      this.progress(this.keptInstructions());
      process.off('exit', this.exitHook);
      return;
    }
    this.session = undefined;
    await session.cluster.stop();
    rmSync(session.dir, { recursive: true, force: true });
    process.off('exit', this.exitHook);
  }

  /** How to reach what `keep` left behind. */
  keptInstructions(): string {
    const session = this.session;
    if (!session) return 'nothing kept';
    const { cluster } = session;
    const databases = this.databases.size ? ` (databases: ${[...this.databases].join(', ')})` : '';
    return [
      `kept: ${session.dir}${databases}`,
      `  serve a database:  cd ${session.runDir} && ${this.python} ${join(this.odooSrc, 'odoo-bin')} -c ${session.configPath} -d <db> --http-port 8069`,
      `  psql:              psql -h ${cluster.socketDir} -p ${cluster.port} -U ${cluster.superuser} <db>`,
      `  clean up:          ${cluster.stopCommandLine()} && rm -rf ${session.dir}`,
    ].join('\n');
  }

  // -------------------------------------------------------------------------------------------

  private odooConfig(cluster: PostgresCluster, dataDir: string): string {
    const addonsPath = [join(this.odooSrc, 'addons'), join(this.odooSrc, 'odoo', 'addons'), ...this.addonsDirs].join(',');
    return [
      '[options]',
      `addons_path = ${addonsPath}`,
      `data_dir = ${dataDir}`,
      `db_host = ${cluster.socketDir}`,
      `db_port = ${cluster.port}`,
      `db_user = ${cluster.superuser}`,
      'http_interface = 127.0.0.1',
      // Crons firing in the background make end-to-end tests flaky; tests trigger them explicitly.
      'max_cron_threads = 0',
      '',
    ].join('\n');
  }

  private odooEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Odoo reads PG* and ODOO_RC; a pyenv PYTHONPATH/PYTHONHOME would break Debian's interpreter.
    for (const name of Object.keys(env)) {
      if (/^(PG|ODOO_RC$|ODOO_PY_COLORS$|PYTHONPATH$|PYTHONHOME$)/.test(name)) delete env[name];
    }
    env.PYTHONUNBUFFERED = '1';
    // Never write __pycache__ into out/ (golden files) or the Odoo tree; caches already in the tree
    // are still read (a PYTHONPYCACHEPREFIX would ignore them: server start measured 2.2 s vs 1.1 s).
    env.PYTHONDONTWRITEBYTECODE = '1';
    return env;
  }

  private requireSession(): Session {
    if (!this.session) throw new Error('runtime not started: call start() first');
    return this.session;
  }

  private spawnOdoo(args: string[], logPath: string, extra: { stdin?: string; subcommandFirst?: boolean } = {}): OdooProcess {
    const session = this.requireSession();
    const config = ['-c', session.configPath];
    // Subcommands (shell, db) must come first; -c goes after them.
    const fullArgs = extra.subcommandFirst ? [args[0]!, ...config, ...args.slice(1)] : [...config, ...args];
    const child = new OdooProcess({
      python: this.python,
      odooBin: join(this.odooSrc, 'odoo-bin'),
      args: fullArgs,
      // A file named like a module (http.py, ...) in the current directory would shadow it.
      cwd: session.runDir,
      env: this.odooEnv(),
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
    const session = this.session;
    if (!session || this.options.keep) return;
    session.cluster.stopSync();
    rmSync(session.dir, { recursive: true, force: true });
  }
}

async function waitForLogin(baseUrl: string, child: OdooProcess, timeoutMs: number): Promise<void> {
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

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function pruneOldLogs(logDir: string): void {
  const files = readdirSync(logDir)
    .filter((name) => name.endsWith('.log'))
    .map((name) => ({ path: join(logDir, name), mtime: statSync(join(logDir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const file of files.slice(KEPT_LOG_FILES)) rmSync(file.path, { force: true });
}
