// LocalRuntime: an unmodified Odoo 19 source tree run by Debian's Python against a throwaway
// PostgreSQL cluster, everything in one temporary directory that stop() removes.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findPostgresBin, odooTreeIdentity, resolveOdooPython, resolveOdooSrc } from '../doctor.ts';
import {
  HarnessRuntime,
  type HarnessRuntimeOptions,
  type OdooInvocationSpec,
  type OdooRun,
  type Platform,
  type SessionPaths,
} from './harness-runtime.ts';
import { OdooProcess } from './odoo-process.ts';
import { PostgresCluster } from './postgres-cluster.ts';
import { spawnLocalService, type ServiceKind } from '../services/process.ts';

export { REPO_ROOT } from './harness-runtime.ts';

export interface LocalRuntimeOptions extends HarnessRuntimeOptions {
  /** Odoo source tree; default $ODOO_SRC or /opt/odoo. */
  odooSrc?: string;
  /** Interpreter with Odoo's dependencies; default $ODOO_PYTHON or /usr/bin/python3. */
  python?: string;
  /** Directory with initdb/pg_ctl/postgres; default: found like `doctor` does. */
  pgBin?: string;
}

class LocalPlatform implements Platform {
  readonly kind = 'local' as const;

  constructor(
    readonly odooSrc: string,
    readonly python: string,
    private readonly pgBin?: string,
  ) {}

  get description(): string {
    return `local: Odoo ${this.odooSrc} run by ${this.python}, PostgreSQL from ${this.pgBin ?? findPostgresBin() ?? '(not found)'}`;
  }

  get identity(): string {
    return `local ${this.python} ${odooTreeIdentity(this.odooSrc)}`;
  }

  async prepare(): Promise<void> {
    if (!existsSync(join(this.odooSrc, 'odoo-bin'))) throw new Error(`no odoo-bin in ${this.odooSrc}: run 'fusion-billing doctor'`);
  }

  postgres(session: SessionPaths, port: number): PostgresCluster {
    const pgBin = this.pgBin ?? findPostgresBin();
    if (!pgBin) throw new Error("PostgreSQL binaries not found: run 'fusion-billing doctor'");
    // PostgreSQL refuses to run as root: as root, it runs as this OS user.
    const osUser = process.getuid?.() === 0 ? process.env.PG_OS_USER || 'postgres' : undefined;
    return new PostgresCluster({ pgBin, dir: join(session.dir, 'pg'), port, osUser });
  }

  odooAddonsPaths(): string[] {
    return [join(this.odooSrc, 'addons'), join(this.odooSrc, 'odoo', 'addons')];
  }

  spawnOdoo(invocation: OdooInvocationSpec): OdooRun {
    return new OdooProcess({
      python: this.python,
      odooBin: join(this.odooSrc, 'odoo-bin'),
      args: invocation.args,
      cwd: invocation.cwd,
      env: { ...cleanEnv(), ...invocation.env },
      logPath: invocation.logPath,
      stdin: invocation.stdin,
      onRecord: invocation.onRecord,
    });
  }

  startService(kind: ServiceKind, options: object, logPath: string) {
    return spawnLocalService(kind, options, logPath);
  }

  serveCommandLine(session: SessionPaths): string {
    return `cd ${session.runDir} && ${this.python} ${join(this.odooSrc, 'odoo-bin')} -c ${session.configPath} -d <db> --http-port 8069`;
  }

  async stop(): Promise<void> {}

  stopSync(): void {}
}

/** This process's environment without what would mislead Odoo: PG*, ODOO_RC, a pyenv's PYTHONPATH/PYTHONHOME. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(PG|ODOO_RC$|ODOO_PY_COLORS$|PYTHONPATH$|PYTHONHOME$)/.test(name)) delete env[name];
  }
  return env;
}

export class LocalRuntime extends HarnessRuntime {
  readonly odooSrc: string;
  readonly python: string;

  constructor(options: LocalRuntimeOptions = {}) {
    const odooSrc = resolve(options.odooSrc ?? resolveOdooSrc());
    const python = options.python ?? resolveOdooPython();
    super(new LocalPlatform(odooSrc, python, options.pgBin), options);
    this.odooSrc = odooSrc;
    this.python = python;
  }

  /** The running PostgreSQL cluster, for clients (psql, pg_dump) of scripts and benchmarks. */
  override get postgres(): PostgresCluster {
    return super.postgres as PostgresCluster;
  }
}
