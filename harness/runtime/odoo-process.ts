// Spawning odoo-bin: output captured to a file and memory, records streamed for progress,
// the whole process group killed on timeout or stop (prefork workers, HttpCase threads).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { constants } from 'node:os';
import { OdooLogStream, type OdooLogRecord } from '../odoo-log.ts';

export interface OdooInvocation {
  python: string;
  odooBin: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Receives everything the process writes, stdout and stderr interleaved as they arrive. */
  logPath: string;
  stdin?: string;
  onRecord?: (record: OdooLogRecord) => void;
}

export interface OdooExit {
  exitCode: number;
  /** stdout alone (what a shell script prints). */
  stdout: string;
  /** stdout and stderr interleaved, as in the log file. */
  output: string;
  durationMs: number;
  timedOut: boolean;
}

const KILL_GRACE_MS = 15_000;

/** Resolves with `exited`; runs `otherwise` once if the exit has not come within `ms`. */
export async function exitOrElse(exited: Promise<OdooExit>, ms: number, otherwise: () => void): Promise<OdooExit> {
  const timer = setTimeout(otherwise, ms);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What one odoo-bin run writes, kept as a process and a container run both report it: stdout
 * alone, stdout and stderr interleaved, the log file, and the parsed records.
 */
export class OdooOutput {
  stdout = '';
  all = '';
  private readonly log: WriteStream;
  private readonly records: OdooLogStream;

  constructor(logPath: string, onRecord?: (record: OdooLogRecord) => void) {
    this.log = createWriteStream(logPath);
    this.records = new OdooLogStream((record) => onRecord?.(record));
  }

  /** A data listener for the run's stdout (true) or stderr (false). */
  take(isStdout: boolean): (chunk: Buffer) => void {
    return (chunk) => {
      const text = chunk.toString('utf8');
      if (isStdout) this.stdout += text;
      this.all += text;
      this.log.write(chunk);
      this.records.push(text);
    };
  }

  /** A line of the harness's own in the output and the log ("[harness] …"). */
  note(text: string): void {
    this.all += text;
    this.log.write(text);
  }

  /** Ends the records and the log; the exit as OdooExit once the log is on disk. */
  async close(exitCode: number, startedAt: number, timedOut: boolean): Promise<OdooExit> {
    this.records.end();
    await new Promise<void>((done) => this.log.end(done));
    return { exitCode, stdout: this.stdout, output: this.all, durationMs: Date.now() - startedAt, timedOut };
  }
}

export class OdooProcess {
  readonly exited: Promise<OdooExit>;
  private readonly child: ChildProcess;
  private readonly started = Date.now();
  private readonly out: OdooOutput;
  private timedOut = false;
  private hasExited = false;

  constructor(invocation: OdooInvocation) {
    this.out = new OdooOutput(invocation.logPath, invocation.onRecord);
    // detached: the child leads its own process group, so stop() reaches workers and helpers too.
    this.child = spawn(invocation.python, [invocation.odooBin, ...invocation.args], {
      cwd: invocation.cwd,
      env: invocation.env,
      detached: true,
      stdio: [invocation.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', this.out.take(true));
    this.child.stderr!.on('data', this.out.take(false));
    if (invocation.stdin !== undefined) this.child.stdin!.end(invocation.stdin);

    this.exited = new Promise((resolve) => {
      const finish = (exitCode: number, note?: string): void => {
        if (this.hasExited) return;
        this.hasExited = true;
        if (note) this.out.note(note);
        void this.out.close(exitCode, this.started, this.timedOut).then(resolve);
      };
      this.child.once('error', (error) => finish(127, `\n[harness] could not start ${invocation.python}: ${error.message}\n`));
      this.child.once('close', (code, signal) => {
        const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
        finish(exitCode, this.timedOut ? '\n[harness] killed after timeout\n' : undefined);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  output(): string {
    return this.out.all;
  }

  /** SIGTERM to the group (Odoo shuts down gracefully), SIGKILL if it is still there after the grace. */
  async stop(graceMs = KILL_GRACE_MS): Promise<OdooExit> {
    if (this.hasExited) return this.exited;
    this.signalGroup('SIGTERM');
    return exitOrElse(this.exited, graceMs, () => this.signalGroup('SIGKILL'));
  }

  /** Waits for the exit; past the deadline the process is stopped and reported as timed out. */
  async waitForExit(timeoutMs: number): Promise<OdooExit> {
    return exitOrElse(this.exited, timeoutMs, () => {
      this.timedOut = true;
      void this.stop();
    });
  }

  /** Synchronous kill for process 'exit' hooks. */
  killNow(): void {
    if (!this.hasExited) this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}
