// The Odoo processes serving a port, found in /proc: the harness starts Odoo with
// --http-port=<port>, so the server (and its prefork workers and cron runners, its children) are
// found by that argument on either runtime (a container's processes are the host kernel's too).
// The fault scenarios read their resident memory and SIGKILL them all at once. PostgreSQL's
// processes are found the same way, by the postmaster's `-p <port>` (the soak reads their memory).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  pids: number[];
  /** Sum of VmRSS over the pids, in bytes. */
  rssBytes: number;
  /**
   * Sum of Pss (proportional set size, /proc/<pid>/smaps_rollup) over the pids, in bytes: pages
   * shared by several of them (a prefork worker's copy-on-write pages, PostgreSQL's shared
   * buffers) count once in all, where the RSS sum counts them once per process.
   */
  pssBytes: number;
}

/** The processes whose command line holds --http-port=<port>, and their descendants. */
export function odooPids(port: number): number[] {
  return processTree((args) => args.includes(`--http-port=${port}`));
}

/** The PostgreSQL postmaster started with `-p <port>` and its backends and helpers. */
export function postgresPids(port: number): number[] {
  return processTree(
    (args) => /(^|\/)postgres$/.test(args[0] ?? '') && args.some((arg, at) => arg === '-p' && args[at + 1] === String(port)),
  );
}

/**
 * Odoo processes on the machine that are not the server on `port`: other runs sharing the cores
 * (a test run, another server), each counted once (a prefork server with its workers is one).
 */
export function otherOdooServers(port: number): number {
  const own = new Set(odooPids(port));
  const table = processTable();
  const odoo = new Set(table.filter((p) => p.args.some((arg) => arg.endsWith('odoo-bin'))).map((p) => p.pid));
  return table.filter((p) => odoo.has(p.pid) && !odoo.has(p.ppid) && !own.has(p.pid)).length;
}

/** The processes a command line matches, and their descendants. */
function processTree(isRoot: (args: string[]) => boolean): number[] {
  const table = processTable();
  const roots = table.filter((p) => isRoot(p.args)).map((p) => p.pid);
  const pids = new Set(roots);
  for (let grown = true; grown; ) {
    grown = false;
    for (const p of table) {
      if (!pids.has(p.pid) && pids.has(p.ppid)) {
        pids.add(p.pid);
        grown = true;
      }
    }
  }
  return [...pids].sort((a, b) => a - b);
}

/** VmRSS of the Odoo processes serving the port; undefined when none is found. */
export function odooMemory(port: number): ProcessMemory | undefined {
  return memoryOf(odooPids(port));
}

/** Memory of the PostgreSQL server listening on the port; undefined when none is found. */
export function postgresMemory(port: number): ProcessMemory | undefined {
  return memoryOf(postgresPids(port));
}

function memoryOf(pids: number[]): ProcessMemory | undefined {
  if (!pids.length) return undefined;
  return { pids, rssBytes: pids.reduce((sum, pid) => sum + rssOf(pid), 0), pssBytes: pids.reduce((sum, pid) => sum + pssOf(pid), 0) };
}

/** SIGKILL to every Odoo process serving the port, all at once (no graceful shutdown); their pids. */
export function killOdoo(port: number): number[] {
  const pids = odooPids(port);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone (a worker its parent's death took down).
    }
  }
  return pids;
}

/** Resolves once no process serves the port any more (the kernel has reaped them). */
export async function odooGone(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (odooPids(port).some((pid) => processState(pid) !== 'Z')) {
    if (Date.now() > deadline) throw new Error(`Odoo processes on port ${port} still alive after SIGKILL: ${odooPids(port).join(', ')}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

function processState(pid: number): string | undefined {
  try {
    return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function processTable(): { pid: number; ppid: number; args: string[] }[] {
  const rows: { pid: number; ppid: number; args: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      rows.push({ pid: Number(entry), ppid, args });
    } catch {
      // The process ended while the table was read.
    }
  }
  return rows;
}

/** A size in kB that /proc/<pid>/<file> gives on its `<field>:` line, in bytes; 0 once the process is gone. */
function procBytes(pid: number, file: string, field: string): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

const rssOf = (pid: number) => procBytes(pid, 'status', 'VmRSS');
/** Proportional set size: shared pages counted once across the processes sharing them. */
const pssOf = (pid: number) => procBytes(pid, 'smaps_rollup', 'Pss');
