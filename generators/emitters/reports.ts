// report/: the QWeb PDF reports of the addon (the reconciliation with Lago, when the spec has its model).
import type { Emitter } from './types.ts';

export const emitReports: Emitter = ({ ir, render, header }) => {
  const root = ir.module.technicalName;
  const report = ir.module.reconciliationReport;
  if (!report) return [];
  const model = { name: report.model, modelXmlid: report.modelXmlid };
  return [
    { path: `${root}/${report.file}`, content: render('module/report/reconciliation_report.xml.hbs', { header, model, module: root }) },
  ];
};
