// controllers/: the route table of the spec (main.py) and the package __init__ (settings are in settings.py).
import type { Emitter } from './types.ts';

export const emitControllers: Emitter = ({ ir, render, header }) => {
  const root = ir.module.technicalName;
  const api = ir.module.api;
  return [
    { path: `${root}/controllers/__init__.py`, content: render('module/init.py.hbs', { header, imports: ['main'] }) },
    {
      path: `${root}/controllers/main.py`,
      content: render('module/controllers/main.py.hbs', { header, api, className: api.controllerClass }),
    },
  ];
};
