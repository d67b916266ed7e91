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

export class OdooProcess {
  readonly exited: Promise<OdooExit>;
  private readonly child: ChildProcess;
  private readonly started = Date.now();
  private stdoutText = '';
  private outputText = '';
  private timedOut = false;
  private hasExited = false;

  constructor(invocation: OdooInvocation) {
    const log: WriteStream = createWriteStream(invocation.logPath);
    const records = new OdooLogStream((record) => invocation.onRecord?.(record));
    // detached: the child leads its own process group, so stop() reaches workers and helpers too.
    this.child = spawn(invocation.python, [invocation.odooBin, ...invocation.args], {
      cwd: invocation.cwd,
      env: invocation.env,
      detached: true,
      stdio: [invocation.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const take = (isStdout: boolean) => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (isStdout) this.stdoutText += text;
      this.outputText += text;
      log.write(chunk);
      records.push(text);
    };
    this.child.stdout!.on('data', take(true));
    this.child.stderr!.on('data', take(false));
    if (invocation.stdin !== undefined) this.child.stdin!.end(invocation.stdin);

    this.exited = new Promise((resolve) => {
      const finish = (exitCode: number, note?: string): void => {
        if (this.hasExited) return;
        this.hasExited = true;
        records.end();
        if (note) {
          this.outputText += note;
          log.write(note);
        }
        log.end(() =>
          resolve({
            exitCode,
            stdout: this.stdoutText,
            output: this.outputText,
            durationMs: Date.now() - this.started,
            timedOut: this.timedOut,
          }),
        );
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
    return this.outputText;
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
