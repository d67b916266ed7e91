// Spec front end: YAML → schema → semantic checks. Either a valid Spec or a SpecError listing every problem.
import { SpecError, type Diagnostic, type SourceLocator } from './diagnostics.ts';
import { loadSpecFile, loadSpecText, type LoadedSpec } from './load.ts';
import { validateAgainstSchema } from './schema.ts';
import { checkSemantics, type ImplementationFacts } from './semantic.ts';
import type { Spec } from './types.ts';

export interface ValidSpec {
  file: string;
  text: string;
  spec: Spec;
  locate: SourceLocator;
}

export function validateLoaded(loaded: LoadedSpec, facts?: ImplementationFacts): ValidSpec {
  const schemaProblems: Diagnostic[] = validateAgainstSchema(loaded);
  // Semantic checks assume the shapes the schema guarantees, so they only run on schema-valid specs.
  if (schemaProblems.length > 0) throw new SpecError(schemaProblems);
  const spec = loaded.data as Spec;
  const problems = checkSemantics(spec, loaded.locate, facts);
  if (problems.length > 0) throw new SpecError(problems);
  return { file: loaded.file, text: loaded.text, spec, locate: loaded.locate };
}

export function validateSpecFile(file: string, facts?: ImplementationFacts): ValidSpec {
  return validateLoaded(loadSpecFile(file), facts);
}

export function validateSpecText(file: string, text: string, facts?: ImplementationFacts): ValidSpec {
  return validateLoaded(loadSpecText(file, text), facts);
}

export type { ImplementationFacts };

export { SpecError, formatDiagnostic, type Diagnostic } from './diagnostics.ts';
export { readSpecText } from './load.ts';
export type * from './types.ts';
