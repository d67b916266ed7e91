// CPU time spent by each part of the stack during a benchmark phase, read from /proc (Linux):
// the Odoo server processes, PostgreSQL's processes and this benchmark (the client). On a
// machine where all three share the cores, it says where a request's time goes.
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSeconds {
  odoo: number;
  postgres: number;
  client: number;
  /** Machine-wide: CPU time the hypervisor gave to other guests ("steal"), and all CPU time. */
  steal: number;
  machine: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node runs on

function processCpu(pid: string): { command: string; seconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return { command, seconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

/** Cumulative CPU seconds of the processes alive now; undefined where /proc is not available. */
export function cpuSnapshot(): CpuSeconds | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const total: CpuSeconds = { odoo: 0, postgres: 0, client: 0, ...machineCpu() };
  for (const pid of pids) {
    const entry = processCpu(pid);
    if (!entry) continue;
    if (entry.command.includes('odoo-bin')) total.odoo += entry.seconds;
    else if (entry.command.startsWith('postgres')) total.postgres += entry.seconds;
  }
  const own = process.cpuUsage();
  total.client = (own.user + own.system) / 1e6;
  return total;
}

function machineCpu(): { steal: number; machine: number } {
  // "cpu user nice system idle iowait irq softirq steal ..." in ticks, all cores.
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: ticks[7]! / TICKS_PER_SECOND, machine: ticks.reduce((sum, value) => sum + value, 0) / TICKS_PER_SECOND };
}

/**
 * CPU seconds per part between two snapshots. Processes that ended in between (PostgreSQL
 * backends of closed connections) are missed; those started in between count whole.
 */
export function cpuBetween(before: CpuSeconds | undefined, after: CpuSeconds | undefined): CpuSeconds | undefined {
  if (!before || !after) return undefined;
  const difference = (key: keyof CpuSeconds): number => after[key] - before[key];
  return {
    odoo: difference('odoo'),
    postgres: difference('postgres'),
    client: difference('client'),
    steal: difference('steal'),
    machine: difference('machine'),
  };
}
