// report/: the QWeb PDF reports of the addon (the reconciliation with Lago, when the spec has its model).
import type { Emitter } from './types.ts';

export const RECONCILIATION_MODEL = 'fusion.billing.reconciliation';

export const emitReports: Emitter = ({ ir, render, header }) => {
  const root = ir.module.technicalName;
  const model = ir.module.models.find((m) => m.name === RECONCILIATION_MODEL);
  if (!model) return [];
  return [{ path: `${root}/report/reconciliation_report.xml`, content: render('module/report/reconciliation_report.xml.hbs', { header, model, module: root }) }];
};
