// Checks JSON that the API answered (or a webhook carried) against the object types the official
// `lago-javascript-client` declares, generated from Lago's OpenAPI document: each sample is written
// as a TypeScript literal of its declared type and type-checked by the compiler. A missing required
// field, a wrong type or a value outside an enum is an error, and so is a field Lago does not
// declare (TypeScript's excess property check), unless it is one of this project's documented
// additions (LAGO_EXTENSIONS).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Fields sent beyond the client's declarations, by path (indexes written `[]`): this project's
 * documented additions, and fields Lago's own serializers write that its OpenAPI document lacks.
 */
export const LAGO_EXTENSIONS: Record<string, string> = {
  'events_errors.late_events': 'events.errors: events received for a period that was already billed (this project)',
  'events_errors.unattached_events': 'events.errors: events accepted for a subscription that does not exist yet (this project)',
  request_id: 'a 500 body: the id under which the server logged the failure (this project)',
  'charges_usage[].charge.code': "Lago's V1::Customers::ChargeUsageSerializer writes it; its OpenAPI omits it",
  progressive_billing_disabled: "Lago's V1::SubscriptionSerializer writes it on every subscription; its OpenAPI omits it",
};

/**
 * Fields Lago writes as null although the client declares them non-null (the declaration is
 * stricter than Lago): the check accepts null there.
 */
export const LAGO_NULLABLE: Record<string, string> = {
  on_termination_credit_note: 'null for plans billed in arrears (lago-api app/models/subscription.rb validates its absence)',
  regroup_paid_fees: 'null unless a charge is paid in advance and not invoiceable (lago-api app/models/charge.rb)',
  payment_method_id: 'null when the subscription has no payment method of its own (V1::SubscriptionSerializer#payment_method)',
  rounding_function: 'null for a metric that does not round its units (V1::BillableMetricSerializer)',
  weighted_interval: 'null for every aggregation but weighted_sum (V1::BillableMetricSerializer)',
  // The client's two generators disagree here: its webhook types require these as nullable.
  subscription_invoice_issuing_date_anchor: "null unless the customer overrides its billing entity's (V1::CustomerSerializer)",
  subscription_invoice_issuing_date_adjustment: "null unless the customer overrides its billing entity's (V1::CustomerSerializer)",
};

/** Whether a problem's path is one of the documented additions. */
function isExtension(problem: ShapeProblem): boolean {
  if (!problem.excessProperty) return false;
  const path = problem.path.replace(/\[\d+\]/g, '[]');
  return Object.keys(LAGO_EXTENSIONS).some((suffix) => path === suffix || path.endsWith(`.${suffix}`));
}

/** Type helpers the samples may name, besides the client's exports under `L`. */
const NULLABLE_KEYS = Object.keys(LAGO_NULLABLE)
  .map((key) => `'${key}'`)
  .join(' | ');
const PRELUDE = `import type * as L from 'lago-javascript-client';
type Api = L.Api<unknown>;
/** The response body a client method declares. */
type ResponseOf<G extends keyof Api, M extends keyof Api[G]> = Api[G][M] extends (...args: any[]) => Promise<infer R>
  ? R extends L.HttpResponse<infer D, any> ? D : never : never;
/** The error body a client method declares. */
type ErrorOf<G extends keyof Api, M extends keyof Api[G]> = Api[G][M] extends (...args: any[]) => Promise<infer R>
  ? R extends L.HttpResponse<any, infer E> ? E : never : never;
type Webhook<T extends keyof L.LagoWebhookPayloads> = L.LagoWebhookPayloads[T];
/** T, with null accepted for the LAGO_NULLABLE fields at any depth. */
type Lago<T> = T extends (infer E)[] ? Lago<E>[] : T extends object
  ? { [K in keyof T]: K extends ${NULLABLE_KEYS} ? Lago<T[K]> | null : Lago<T[K]> } : T;
`;

export interface ShapeProblem {
  label: string;
  /** Where in the sample, e.g. `invoice.fees[0].item`. */
  path: string;
  message: string;
  /** The property TypeScript found in excess, for excess-property problems. */
  excessProperty?: string;
}

interface Sample {
  label: string;
  type: string;
  value: unknown;
}

export class LagoShapeCheck {
  private readonly samples: Sample[] = [];

  /**
   * Records `value` as an instance of `type`, a TypeScript type over the client's exports, e.g.
   * `ResponseOf<'customers', 'findCustomer'>`, `Webhook<'invoice.created'>` or `L.ApiErrorNotFound`.
   */
  expect(label: string, type: string, value: unknown): void {
    this.samples.push({ label, type, value: JSON.parse(JSON.stringify(value)) });
  }

  get size(): number {
    return this.samples.length;
  }

  /** The problems of every recorded sample, documented extensions left out. */
  verify(): ShapeProblem[] {
    return this.check().filter((problem) => !isExtension(problem));
  }

  /** Every problem the compiler finds, extensions included. */
  check(): ShapeProblem[] {
    if (this.samples.length === 0) return [];
    const dir = join(ROOT, '.harness', 'shapes');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `samples-${process.pid}-${Date.now()}.ts`);
    const lines = this.samples.map(
      (sample, index) => `export const sample_${index}: Lago<${sample.type}> = ${JSON.stringify(sample.value, null, 1)};`,
    );
    const text = `${PRELUDE}\n${lines.join('\n')}\n`;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const source = program.getSourceFile(file)!;
    const declarations = new Map<number, ts.VariableDeclaration>();
    source.forEachChild((statement) => {
      if (!ts.isVariableStatement(statement)) return;
      const declaration = statement.declarationList.declarations[0]!;
      declarations.set(Number(declaration.name.getText(source).slice('sample_'.length)), declaration);
    });
    const diagnostics = [...program.getSemanticDiagnostics(source), ...program.getSyntacticDiagnostics(source)];
    const problems: ShapeProblem[] = [];
    for (const diagnostic of diagnostics) {
      const start = diagnostic.start ?? 0;
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const entry = [...declarations.entries()].find(([, d]) => d.getStart(source) <= start && start < d.getEnd());
      if (!entry) {
        problems.push({ label: '(prelude)', path: '', message });
        continue;
      }
      const [index, declaration] = entry;
      const excess = /Object literal may only specify known properties, (?:and|but) '"?([^'"]+)"?' does not exist/.exec(message);
      problems.push({
        label: this.samples[index]!.label,
        path: pathAt(declaration.initializer!, start, source),
        message: message.split('\n').slice(0, 4).join(' / '),
        ...(excess ? { excessProperty: excess[1] } : {}),
      });
    }
    return problems;
  }
}

/** The JSON path of the innermost literal node of `root` that contains `position`. */
function pathAt(root: ts.Node, position: number, source: ts.SourceFile): string {
  const parts: string[] = [];
  let node: ts.Node | undefined = root;
  while (node) {
    let next: ts.Node | undefined;
    if (ts.isObjectLiteralExpression(node)) {
      for (const property of node.properties) {
        if (property.getStart(source) <= position && position < property.getEnd() && ts.isPropertyAssignment(property)) {
          parts.push(`.${property.name.getText(source).replace(/^"|"$/g, '')}`);
          next = property.initializer;
        }
      }
    } else if (ts.isArrayLiteralExpression(node)) {
      node.elements.forEach((element, index) => {
        if (element.getStart(source) <= position && position < element.getEnd()) {
          parts.push(`[${index}]`);
          next = element;
        }
      });
    }
    node = next;
  }
  return parts.join('').replace(/^\./, '');
}

/** One line per problem, for assertion messages. */
export function formatProblems(problems: ShapeProblem[]): string {
  return problems.map((p) => `${p.label}${p.path ? ` at ${p.path}` : ''}: ${p.message}`).join('\n');
}
