// Privilege and groups, the ACL CSV and the multi-company record rules.
import type { Emitter } from './types.ts';

export const emitSecurity: Emitter = ({ ir, render, header }) => {
  const mod = ir.module;
  const root = mod.technicalName;
  const rows = mod.models.flatMap((model) =>
    model.access.map((a) => ({ ...a, name: `${model.name} ${a.groupId}`, modelXmlid: model.modelXmlid })),
  );
  const rules = mod.models.filter((m) => m.rule).map((m) => ({ rule: m.rule, modelXmlid: m.modelXmlid }));
  return [
    { path: `${root}/security/${root}_security.xml`, content: render('module/security/security.xml.hbs', { header, module: mod }) },
    { path: `${root}/security/ir.model.access.csv`, content: render('module/security/ir.model.access.csv.hbs', { rows }) },
    { path: `${root}/security/${root}_rules.xml`, content: render('module/security/rules.xml.hbs', { header, rules }) },
  ];
};
