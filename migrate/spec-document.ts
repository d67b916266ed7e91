// The spec as a YAML document, edited in place: what `lago import-catalog` and `lago cutover`
// change is written back with the layout and comments of everything else untouched (the options
// below print an unchanged document byte for byte, tests/migrate/spec-document.test.ts).
import { parseDocument, type Document, type ToStringOptions } from 'yaml';
import { createTwoFilesPatch } from 'diff';

export const SPEC_YAML_OUTPUT: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

export function parseSpecDocument(text: string): Document {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) throw new Error(`the spec is not valid YAML: ${doc.errors[0]!.message}`);
  return doc;
}

export function printSpecDocument(doc: Document): string {
  return doc.toString(SPEC_YAML_OUTPUT);
}

/** A unified diff of the spec before and after (empty when nothing changed). */
export function specDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  return createTwoFilesPatch(file, file, before, after, 'spec', 'after import', { context: 2 });
}
