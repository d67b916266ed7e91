// Whether this machine can run Odoo 19 on a runtime: what the acceptance and fault suites check
// before they start, so each can say in one line why it skipped.
import type { RuntimeKind } from './index.ts';

/** Why `kind` cannot run here, or undefined when it can. */
export async function runtimeProblem(kind: RuntimeKind): Promise<string | undefined> {
  if (kind === 'containers') {
    const { dockerProblem } = await import('../containers/engine.ts');
    return dockerProblem();
  }
  const { runDoctor, summarizeProblems } = await import('../doctor.ts');
  const doctor = runDoctor();
  return doctor.ok ? undefined : `${summarizeProblems(doctor)} (set ODOO_SRC; run 'fusion-billing doctor')`;
}
