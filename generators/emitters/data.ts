// data/: the catalog (services, endpoints, metrics, products, plans, charges) and the crons.
import type { Emitter, GeneratedFile } from './types.ts';

export const emitData: Emitter = ({ ir, render, header }) => {
  const root = ir.module.technicalName;
  const files: GeneratedFile[] = [
    {
      path: `${root}/data/catalog.xml`,
      content: render('module/data/catalog.xml.hbs', { header, catalog: ir.catalog, modelPrefix: ir.module.modelPrefix }),
    },
  ];
  if (ir.module.crons.length > 0) {
    files.push({ path: `${root}/data/crons.xml`, content: render('module/data/crons.xml.hbs', { header, crons: ir.module.crons }) });
  }
  return files;
};
