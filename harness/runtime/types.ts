// The contract between the harness and whatever runs Odoo. Nothing above this interface may assume
// local processes: a testcontainers runtime will implement it later.
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
}

export interface OdooServer {
  /** e.g. http://127.0.0.1:40123, no trailing slash. */
  baseUrl: string;
  db: string;
  stop(): Promise<void>;
  /** Everything the server logged so far. */
  logs(): string;
}

export interface OdooRuntime {
  readonly kind: 'local' | 'containers';
  /** Brings PostgreSQL up. */
  start(progress?: ProgressCallback): Promise<void>;
  /** Creates a database with base (and the given modules) installed, no demo data. */
  createDatabase(db: string, options?: CreateDatabaseOptions): Promise<void>;
  /** -i modules --test-enable --test-tags ... --stop-after-init on a fresh database; parsed report. */
  installAndTest(db: string, modules: string[], options?: InstallAndTestOptions): Promise<OdooTestReport>;
  /** HTTP server on a free port of 127.0.0.1; resolves once /web/login answers 200. */
  startServer(db: string, options?: StartServerOptions): Promise<OdooServer>;
  /** A persistent API key (scope: any RPC) for the user with this login. */
  createApiKey(db: string, login: string): Promise<string>;
  /** Stops servers and PostgreSQL, removes temporary files. Safe to call twice. */
  stop(): Promise<void>;
}
