// __manifest__.py and settings.py (the spec's settings for the hand-written Python). The README,
// which Odoo takes as the manifest's description, is emitters/readme.ts's.
import { staticDataFiles } from './static-python.ts';
import type { Emitter } from './types.ts';

export const emitManifest: Emitter = ({ ir, render, header, staticModules }) => {
  const root = ir.module.technicalName;
  // Hand-written views extend the generated ones and hang under the generated menus: after both.
  const menus = ir.module.dataFiles.indexOf('views/menus.xml') + 1;
  const dataFiles = [...ir.module.dataFiles.slice(0, menus), ...staticDataFiles(staticModules), ...ir.module.dataFiles.slice(menus)];
  return [
    { path: `${root}/__manifest__.py`, content: render('module/__manifest__.py.hbs', { header, module: ir.module, dataFiles }) },
    {
      path: `${root}/settings.py`,
      content: render('module/settings.py.hbs', { header, api: ir.module.api, webhooks: ir.module.webhooks }),
    },
  ];
};
