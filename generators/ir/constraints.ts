// The constraint cases of the generated tests: which constraints and indexes must exist in PostgreSQL,
// which record copies a unique one must refuse, which values a check one must refuse.
import type { CheckCaseIR, ConstraintCasesIR, ConstraintIR, FieldIR, IndexIR, UniqueCaseIR } from './types.ts';

/** A model or an extension: the records its factory makes carry its constraints. */
export interface ConstraintOwner {
  readonly model: string;
  readonly factory: string;
  readonly fields: readonly FieldIR[];
  readonly constraints: readonly ConstraintIR[];
}

export function constraintCases(owners: readonly ConstraintOwner[], indexes: readonly IndexIR[], technicalName: string): ConstraintCasesIR {
  const all = owners.flatMap((owner) => owner.constraints.map((c) => ({ owner, c })));
  // Test names stay short: the module's tables all start with its name.
  const testName = (sqlName: string) => (sqlName.startsWith(`${technicalName}_`) ? sqlName.slice(technicalName.length + 1) : sqlName);
  const uniqueTests = all.flatMap(({ owner, c }): UniqueCaseIR[] =>
    c.unique
      ? [
          {
            testName: testName(c.sqlName),
            model: owner.model,
            message: c.message,
            factory: owner.factory,
            columns: [...c.unique, ...Object.keys(c.where ?? {})],
            where: c.where,
            controlColumn: c.unique.find((col) => owner.fields.find((f) => f.name === col)?.type === 'char'),
          },
        ]
      : [],
  );
  const checkTests = all.flatMap(({ owner, c }): CheckCaseIR[] =>
    c.violatedBy
      ? [{ testName: testName(c.sqlName), model: owner.model, message: c.message, factory: owner.factory, violatedBy: c.violatedBy }]
      : [],
  );
  return {
    constraintNames: all.filter(({ c }) => !c.isIndex).map(({ c }) => c.sqlName),
    indexNames: [...indexes.map((i) => i.sqlName), ...all.filter(({ c }) => c.isIndex).map(({ c }) => c.sqlName)],
    uniqueTests,
    checkTests,
  };
}
