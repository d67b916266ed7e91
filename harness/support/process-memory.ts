// The resident memory of the Odoo processes serving a port, read from /proc: the harness starts
// Odoo with --http-port=<port>, so the process (and its prefork workers, its children) are found
// by that argument on either runtime (a container's processes are the host kernel's too).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  pids: number[];
  /** Sum of VmRSS over the pids, in bytes. */
  rssBytes: number;
}

/** VmRSS of the processes whose command line holds --http-port=<port>, and of their descendants. */
export function odooMemory(port: number): ProcessMemory | undefined {
  const table = processTable();
  const roots = table.filter((p) => p.args.includes(`--http-port=${port}`)).map((p) => p.pid);
  if (!roots.length) return undefined;
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
  const rssBytes = [...pids].reduce((sum, pid) => sum + rssOf(pid), 0);
  return { pids: [...pids].sort((a, b) => a - b), rssBytes };
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

function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
