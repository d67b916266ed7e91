// Which runtime runs Odoo: `FUSION_RUNTIME=local|containers` (or the `runtime` option), local by
// default. Everything above this factory works the same on both.
import { ContainersRuntime } from './containers.ts';
import type { HarnessRuntime, HarnessRuntimeOptions } from './harness-runtime.ts';
import { LocalRuntime } from './local.ts';

export type RuntimeKind = 'local' | 'containers';

export interface CreateRuntimeOptions extends HarnessRuntimeOptions {
  runtime?: RuntimeKind;
}

export function runtimeKind(env: NodeJS.ProcessEnv = process.env, requested?: string): RuntimeKind {
  const kind = requested ?? env.FUSION_RUNTIME ?? 'local';
  if (kind !== 'local' && kind !== 'containers') throw new Error(`FUSION_RUNTIME: expected local or containers, got '${kind}'`);
  return kind;
}

export function createRuntime(options: CreateRuntimeOptions = {}): HarnessRuntime {
  const kind = runtimeKind(options.env, options.runtime);
  return kind === 'containers' ? new ContainersRuntime(options) : new LocalRuntime(options);
}
