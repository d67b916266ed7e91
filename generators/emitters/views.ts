// One views file per model (list, form, search, action) and the menu tree.
import type { Emitter, GeneratedFile } from './types.ts';

export const emitViews: Emitter = ({ ir, render, header }) => {
  const root = ir.module.technicalName;
  const files: GeneratedFile[] = [];
  for (const model of ir.module.models) {
    if (!model.views) continue;
    const hasActive = model.views.archivedFilter;
    files.push({
      path: `${root}/${model.views.file}`,
      content: render('module/views/model_views.xml.hbs', { header, model, views: model.views, hasActive }),
    });
  }
  for (const extension of ir.module.extensions) {
    if (!extension.formView) continue;
    files.push({
      path: `${root}/views/${extension.table}_views.xml`,
      content: render('module/views/extension_views.xml.hbs', { header, extension, view: extension.formView, module: root }),
    });
  }
  files.push({ path: `${root}/views/menus.xml`, content: render('module/views/menus.xml.hbs', { header, menus: ir.module.menus }) });
  return files;
};
