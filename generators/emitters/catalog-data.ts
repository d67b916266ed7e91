// data/catalog.xml: services, endpoints, metrics, products, plans and charges as Odoo records.
import type { Emitter } from './types.ts';

export const emitCatalogData: Emitter = ({ ir, render, header }) => [
  { path: `${ir.module.technicalName}/data/catalog.xml`, content: render('module/data/catalog.xml.hbs', { header, catalog: ir.catalog }) },
];
