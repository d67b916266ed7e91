// __manifest__.py, the addon's README and settings.py (the spec's settings for the hand-written Python).
import type { Emitter } from './types.ts';

export const emitManifest: Emitter = ({ ir, render, header }) => {
  const root = ir.module.technicalName;
  return [
    { path: `${root}/__manifest__.py`, content: render('module/__manifest__.py.hbs', { header, module: ir.module }) },
    { path: `${root}/README.md`, content: render('module/README.md.hbs', { header, module: ir.module, source: ir.source }) },
    { path: `${root}/settings.py`, content: render('module/settings.py.hbs', { header, api: ir.module.api, webhooks: ir.module.webhooks }) },
  ];
};
