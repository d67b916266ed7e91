// A throwaway PostgreSQL cluster: initdb + pg_ctl in a temporary directory, trust auth, its own
// unix socket directory, stopped and deleted afterwards. Nothing touches the machine's own clusters.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PostgresServer } from './harness-runtime.ts';
import type { ClientInput, PostgresShutdownMode } from './types.ts';

const execFileAsync = promisify(execFile);

export interface PostgresClusterOptions {
  /** Directory holding initdb, pg_ctl, postgres. */
  pgBin: string;
  /** Empty directory the cluster may own (data, socket, log). */
  dir: string;
  /** TCP port on 127.0.0.1; also names the unix socket. */
  port: number;
  /** OS user to run PostgreSQL as when we are root (PostgreSQL refuses root). */
  osUser?: string;
}

/** The database role Odoo connects as; Odoo refuses to connect as 'postgres'. */
export const CLUSTER_SUPERUSER = 'odoo';

// Durability is worthless for a cluster deleted after the run; these make installs faster.
// shared_buffers: a billing database server keeps its hot indexes in memory (the default 128 MB
// makes a million-row usage table's inserts read index pages back from the OS).
export const SERVER_SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'shared_buffers=512MB'];

export class PostgresCluster implements PostgresServer {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  readonly superuser = CLUSTER_SUPERUSER;
  private running = false;

  constructor(private readonly options: PostgresClusterOptions) {
    if (options.dir.includes("'")) throw new Error(`unsupported quote in cluster directory ${options.dir}`);
    this.dataDir = join(options.dir, 'data');
    this.socketDir = options.dir;
    this.logFile = join(options.dir, 'postgres.log');
  }

  get port(): number {
    return this.options.port;
  }

  /** initdb + pg_ctl start; resolves once the server accepts connections. */
  async start(progress: (message: string) => void = () => {}): Promise<void> {
    mkdirSync(this.options.dir, { recursive: true });
    if (this.options.osUser) {
      // The directory is created by root; the server process must own it.
      spawnSync('chown', ['-R', `${this.options.osUser}:`, this.options.dir], { stdio: 'ignore' });
    }
    progress(`postgres: initdb in ${this.dataDir}`);
    await this.run('initdb', [
      '--pgdata',
      this.dataDir,
      '--username',
      CLUSTER_SUPERUSER,
      '--auth',
      'trust',
      '--encoding',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    progress(`postgres: starting on port ${this.port}, socket in ${this.socketDir}`);
    await this.launch();
  }

  /** pg_ctl stop in `mode`, keeping the data directory for startAgain. */
  async shutDown(mode: PostgresShutdownMode): Promise<void> {
    if (!this.running) return;
    await this.run('pg_ctl', ['--pgdata', this.dataDir, '--mode', mode, '--wait', '--timeout', '60', 'stop']);
    this.running = false;
  }

  async startAgain(progress: (message: string) => void = () => {}): Promise<void> {
    if (this.running) return;
    progress(`postgres: starting again on port ${this.port}`);
    await this.launch();
  }

  private async launch(): Promise<void> {
    const serverOptions = [
      `-p ${this.port}`,
      `-k '${this.socketDir}'`,
      "-c listen_addresses='127.0.0.1'",
      ...SERVER_SETTINGS.map((setting) => `-c ${setting}`),
    ].join(' ');
    // pg_ctl runs postgres through /bin/sh, hence the quoting in serverOptions.
    await this.run('pg_ctl', ['--pgdata', this.dataDir, '--log', this.logFile, '--wait', '--timeout', '60', '-o', serverOptions, 'start']);
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // immediate: no checkpoint, the data is thrown away anyway.
    await this.run('pg_ctl', ['--pgdata', this.dataDir, '--mode', 'immediate', '--wait', 'stop']).catch(() => {});
  }

  /**
   * Runs a client tool of this PostgreSQL (psql, pg_dump, pg_restore, createdb) against the
   * cluster as its superuser; `stdin` is piped in (a string, or a producer writing to the stream).
   * Resolves with stdout; rejects with stderr on a non-zero exit.
   */
  client(tool: 'psql' | 'pg_dump' | 'pg_restore' | 'createdb' | 'dropdb', args: string[], stdin?: ClientInput): Promise<string> {
    const connection = ['-h', this.socketDir, '-p', String(this.port), '-U', CLUSTER_SUPERUSER];
    // Clients may run as root: trust authentication over the socket needs no OS user switch.
    return runClientTool(join(this.options.pgBin, tool), [...connection, ...args], tool, args, stdin, this.options.dir);
  }

  /** For process 'exit' hooks, where nothing asynchronous runs. */
  stopSync(): void {
    if (!this.running) return;
    this.running = false;
    const [command, args] = this.command('pg_ctl', ['--pgdata', this.dataDir, '--mode', 'immediate', '--wait', 'stop']);
    spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  }

  /** Odoo's db_host: the unix socket directory. */
  get host(): string {
    return this.socketDir;
  }

  keptLines(): string[] {
    return [
      `psql:              psql -h ${this.socketDir} -p ${this.port} -U ${this.superuser} <db>`,
      `stop PostgreSQL:   ${this.stopCommandLine()}`,
    ];
  }

  /** A copy-pasteable shell command stopping this cluster (for runs kept for inspection). */
  stopCommandLine(): string {
    const [command, args] = this.command('pg_ctl', ['--pgdata', this.dataDir, '--mode', 'immediate', 'stop']);
    return [command, ...args].join(' ');
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const binary = join(this.options.pgBin, tool);
    // runuser keeps the environment and needs no password, unlike su.
    return this.options.osUser ? ['runuser', ['-u', this.options.osUser, '--', binary, ...args]] : [binary, args];
  }

  private async run(tool: string, args: string[]): Promise<void> {
    const [command, commandArgs] = this.command(tool, args);
    try {
      await execFileAsync(command, commandArgs, { cwd: this.options.dir, timeout: 120_000 });
    } catch (error) {
      const failure = error as { stderr?: string; stdout?: string; message: string };
      const serverLog = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(
        `${tool} failed: ${failure.message}\n${failure.stderr ?? ''}${failure.stdout ?? ''}` +
          (serverLog ? `\n--- ${this.logFile} (last lines) ---\n${serverLog}` : ''),
      );
    }
  }
}

/**
 * Runs a PostgreSQL client (`command fullArgs`: the tool itself, or `docker exec` of it) with
 * `stdin` piped in; resolves with stdout, rejects with stderr on a non-zero exit.
 */
export function runClientTool(
  command: string,
  fullArgs: string[],
  tool: string,
  args: string[],
  stdin: ClientInput | undefined,
  cwd: string,
): Promise<string> {
  const child = spawn(command, fullArgs, { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PGOPTIONS: '', PGPASSWORD: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  // A client that exits early closes its stdin: the producer must not crash the process.
  child.stdin.on('error', () => {});
  const fed =
    typeof stdin === 'function'
      ? stdin(child.stdin).then(() => void child.stdin.end())
      : Promise.resolve(void child.stdin.end(stdin ?? ''));
  return Promise.all([exited, fed]).then(([code]) => {
    if (code !== 0) throw new Error(`${tool} ${args.join(' ')} failed (exit ${code}):\n${stderr.trim()}`);
    return stdout;
  });
}
