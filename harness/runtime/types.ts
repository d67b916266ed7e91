// The contract between the harness and whatever runs Odoo: local processes (local.ts) or
// containers (containers.ts). Nothing above this interface may assume either.
import type { LogGateResult, OdooTestFailure } from '../odoo-log.ts';

export type ProgressCallback = (message: string) => void;

export interface CreateDatabaseOptions {
  /** Modules to install (besides base). No demo data: Odoo 19's default. */
  modules?: string[];
  /** Copy this database (e.g. one with the dependencies already installed) instead of starting empty. */
  template?: string;
}

export interface InstallAndTestOptions {
  /**
   * The module whose tests run and whose log records the gate judges; default: the last module
   * given (the others are typically its dependencies, whose own suites take many minutes).
   */
  moduleUnderTest?: string;
  /** Odoo --test-tags; default: "/<moduleUnderTest>". */
  testTags?: string;
  /** Extra odoo-bin arguments, appended last. */
  extraArgs?: string[];
  /**
   * Start from a copy of this database rather than an empty one. The database under test must
   * still not contain the modules: Odoo 19 skips the tests of an already-installed module.
   */
  template?: string;
}

export interface TestInstalledOptions {
  /** Odoo --test-tags: which tests of the installed modules run (their post_install ones). */
  testTags: string;
  /** The module whose WARNING records the log gate judges (ERROR records of any module count). */
  gateModule: string;
  /** Extra odoo-bin arguments, appended last. */
  extraArgs?: string[];
}

export interface OdooTestReport {
  /** True when exit code is 0, tests ran (> 0), none failed or errored, and the log gate is clean. */
  ok: boolean;
  /** Why it is not ok; empty when ok. */
  problems: string[];
  exitCode: number;
  testsRun: number;
  failed: number;
  errors: number;
  failures: OdooTestFailure[];
  durationMs: number;
  logGate: LogGateResult;
  /** The complete Odoo output of the run; outlives the runtime. */
  rawLogPath: string;
}

export interface StartServerOptions {
  /** The HTTP port on 127.0.0.1; default a free one. */
  port?: number;
  /** 0 (default) runs the threaded server; more runs prefork workers. */
  workers?: number;
  /** Extra odoo-bin arguments, e.g. ["--max-cron-threads=1"] (crons are off by default). */
  extraArgs?: string[];
  /**
   * Pass --db-filter=^<db>$ (default true). Without it, `-d <db>` alone exposes that one database
   * and Odoo skips listing databases (a fresh PostgreSQL connection) on every request that names
   * none, like the sessionless /api/v1 calls.
   */
  dbFilter?: boolean;
  /** How long the server may take to answer /web/login; default the runtime's (3 minutes). */
  startTimeoutMs?: number;
}

export interface OdooServer {
  /** e.g. http://127.0.0.1:40123, no trailing slash. */
  baseUrl: string;
  db: string;
  stop(): Promise<void>;
  /** Everything the server logged so far. */
  logs(): string;
}

/** A PostgreSQL client tool's input: a string, or a producer writing to the tool's stdin. */
export type ClientInput = string | ((input: NodeJS.WritableStream) => Promise<void>);

/** The runtime's PostgreSQL, for the tools scripts and benchmarks run against it. */
export interface PostgresAccess {
  readonly port: number;
  readonly superuser: string;
  /** Runs psql, pg_dump, pg_restore, createdb or dropdb against the server; resolves with stdout. */
  client(tool: 'psql' | 'pg_dump' | 'pg_restore' | 'createdb' | 'dropdb', args: string[], stdin?: ClientInput): Promise<string>;
}

/** pg_ctl's shutdown modes a fault scenario uses: fast (sessions terminated, checkpoint) or immediate (a crash: recovery at start). */
export type PostgresShutdownMode = 'fast' | 'immediate';

export interface OdooRuntime {
  readonly kind: 'local' | 'containers';
  /** One line: the runtime and what it runs (the Odoo tree and interpreter, or the images). Known after start(). */
  readonly description: string;
  /** What caches built with this runtime depend on (Odoo tree, interpreter, images). Known after start(). */
  readonly identity: string;
  /** Brings PostgreSQL up (and, for containers, resolves or builds the images). */
  start(progress?: ProgressCallback): Promise<void>;
  /** The running PostgreSQL. */
  readonly postgres: PostgresAccess;
  /** Creates a database with base (and the given modules) installed, no demo data. */
  createDatabase(db: string, options?: CreateDatabaseOptions): Promise<void>;
  /** -i modules on an existing database, without tests. */
  installModules(db: string, modules: string[]): Promise<void>;
  /**
   * -u modules on an existing database (no server may serve it meanwhile): their code as the addons
   * directories hold it now, data files loaded again; throws with the errors unless clean.
   */
  upgradeModules(db: string, modules: string[]): Promise<void>;
  /** Runs a Python script in `odoo-bin shell` on `db`; resolves with what it printed on stdout. */
  shell(db: string, script: string, name?: string): Promise<string>;
  /** Saves `db` and its filestore into `dir`, which outlives the session. */
  saveDatabase(db: string, dir: string): Promise<void>;
  /** Creates `db` from a directory written by saveDatabase. */
  restoreDatabase(dir: string, db: string): Promise<void>;
  /** -i modules --test-enable --test-tags ... --stop-after-init on a fresh database; parsed report. */
  installAndTest(db: string, modules: string[], options?: InstallAndTestOptions): Promise<OdooTestReport>;
  /**
   * --test-enable --stop-after-init on an existing database, installing nothing: the post_install
   * tests of its installed modules that the tags select run with every installed module loaded.
   */
  testInstalled(db: string, options: TestInstalledOptions): Promise<OdooTestReport>;
  /** HTTP server on a free port of 127.0.0.1; resolves once /web/login answers 200. */
  startServer(db: string, options?: StartServerOptions): Promise<OdooServer>;
  /** A persistent API key (scope: any RPC) for the user with this login. */
  createApiKey(db: string, login: string): Promise<string>;
  /** Stops PostgreSQL alone (Odoo servers keep running), keeping its data, for fault scenarios. */
  stopPostgres(mode: PostgresShutdownMode): Promise<void>;
  /** Starts PostgreSQL again after stopPostgres: same port, same data; resolves once it accepts connections. */
  startPostgres(): Promise<void>;
  /** Stops servers and PostgreSQL, removes temporary files. Safe to call twice. */
  stop(): Promise<void>;
}
