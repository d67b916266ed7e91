// What the hand-written Python and the client's runtime provide, so that the spec can be checked
// against them. Kept apart from generate.ts so that `validate` loads no emitter.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listStaticModules } from './emitters/static-python.ts';
import { REPO_ROOT } from './repo-root.ts';
import type { ImplementationFacts } from './spec/index.ts';

const STATIC_PYTHON_DIR = 'python';

/** What the hand-written Python provides, so that the spec can be checked against it. */
export function implementationFacts(moduleName = 'fusion_billing'): ImplementationFacts {
  const handlersFile = `${STATIC_PYTHON_DIR}/${moduleName}/controllers/handlers.py`;
  const path = join(REPO_ROOT, handlersFile);
  const handlers = existsSync(path)
    ? new Set([...readFileSync(path, 'utf8').matchAll(/^def ([a-z_][a-z0-9_]*)\(/gm)].map((m) => m[1]!))
    : new Set<string>();
  const modelsDir = `${STATIC_PYTHON_DIR}/${moduleName}/models`;
  const modelMethods = new Set(
    listStaticModules(join(REPO_ROOT, modelsDir)).flatMap((file) =>
      [...readFileSync(join(REPO_ROOT, modelsDir, file), 'utf8').matchAll(/^ {4}def ([a-z_][a-z0-9_]*)\(/gm)].map((m) => m[1]!),
    ),
  );
  // Generated models/<table>.py files sit beside the hand-written ones; the client's names beside its runtime's.
  const staticModelModules = new Set(
    listStaticModules(join(REPO_ROOT, modelsDir))
      .filter((f) => !f.includes('/'))
      .map((f) => f.replace(/\.py$/, '')),
  );
  const runtimeDir = join(REPO_ROOT, 'client/runtime');
  const clientRuntimeNames = new Set(
    (existsSync(runtimeDir) ? readdirSync(runtimeDir) : [])
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [
          ...readFileSync(join(runtimeDir, f), 'utf8').matchAll(
            /^export (?:declare )?(?:async )?(?:abstract )?(?:function\*?|class|const|let|var|type|interface|enum) ([A-Za-z_$][A-Za-z0-9_$]*)/gm,
          ),
        ].map((m) => m[1]!),
      ),
  );
  return { handlers, handlersFile, modelMethods, modelsDir, staticModelModules, clientRuntimeNames };
}
