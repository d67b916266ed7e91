// controllers/: the route table of the spec (main.py), its settings, and the package __init__.
import { className } from '../ir/naming.ts';
import type { Emitter } from './types.ts';

export const emitControllers: Emitter = ({ ir, render, header }) => {
  const root = ir.module.technicalName;
  const api = ir.module.api;
  return [
    { path: `${root}/controllers/__init__.py`, content: render('module/init.py.hbs', { header, imports: ['settings', 'main'] }) },
    { path: `${root}/controllers/settings.py`, content: render('module/controllers/settings.py.hbs', { header, api }) },
    {
      path: `${root}/controllers/main.py`,
      content: render('module/controllers/main.py.hbs', { header, api, className: `${className(root.replace(/_/g, '.'))}Api` }),
    },
  ];
};
