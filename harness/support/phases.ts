// Times the phases of an acceptance scenario and prints them, so that a run shows where time goes.

export interface PhaseTimer {
  /** Runs `work` as the phase `name`, prints its duration and records it. */
  phase<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Records a phase measured elsewhere. */
  record(name: string, ms: number): void;
  /** One line with every phase and the total. */
  summary(): string;
}

export function createPhaseTimer(): PhaseTimer {
  const timings: [string, number][] = [];
  return {
    async phase(name, work) {
      const started = performance.now();
      try {
        return await work();
      } finally {
        const ms = performance.now() - started;
        timings.push([name, ms]);
        console.log(`  TIMING ${name}: ${(ms / 1000).toFixed(1)} s`);
      }
    },
    record(name, ms) {
      timings.push([name, ms]);
    },
    summary() {
      const total = timings.reduce((sum, [, ms]) => sum + ms, 0);
      return `  phases: ${timings.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`).join(' | ')} | total ${(total / 1000).toFixed(1)} s`;
    },
  };
}
