// models/*.py for the spec's models and extensions, and the package __init__ files that import them.
import type { Emitter, GeneratedFile } from './types.ts';

export const emitPythonModels: Emitter = ({ ir, render, header, staticModules }) => {
  const root = ir.module.technicalName;
  const files: GeneratedFile[] = [];
  for (const model of ir.module.models) {
    files.push({ path: `${root}/models/${model.pyModule}.py`, content: render('module/models/model.py.hbs', { header, model }) });
  }
  for (const extension of ir.module.extensions) {
    files.push({
      path: `${root}/models/${extension.pyModule}.py`,
      content: render('module/models/extension.py.hbs', { header, extension }),
    });
  }
  const staticIn = (dir: string) =>
    staticModules
      .filter((m) => m.startsWith(`${dir}/`) && m.split('/').length === 2 && m !== `${dir}/__init__.py`)
      .map((m) => m.slice(dir.length + 1, -3));
  const modelImports = [...ir.module.models.map((m) => m.pyModule), ...ir.module.extensions.map((e) => e.pyModule), ...staticIn('models')];
  files.push({ path: `${root}/models/__init__.py`, content: render('module/init.py.hbs', { header, imports: modelImports }) });

  const packages = ['models', ...(ir.module.api.routes.length > 0 ? ['controllers'] : [])];
  files.push({ path: `${root}/__init__.py`, content: render('module/init.py.hbs', { header, imports: packages }) });
  return files;
};
