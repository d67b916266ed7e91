// Release 2 of the billing spec, for the module-upgrade fault scenario
// (harness/faults/module-upgrade.fault.ts): spec/nexa.yaml's YAML document edited in place (the
// `yaml` Document API keeps its comments, layout and so its locations), then generated into a
// directory of its own with the project's generator, as `fusion-billing generate --out` would.
//
// What release 2 changes, as a NexaSystems release would: a new billable metric and a plan using
// it, one charge's price of a plan the scenario's subscriptions use, a field added to one of the
// module's own models, and the module's version.
import { mkdirSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { generateFromValid, implementationFacts, writeOutput } from '../../generators/generate.ts';
import { validateSpecText, type ValidSpec } from '../../generators/spec/index.ts';

export const RELEASE_2 = {
  version: '19.0.1.1.0',
  /** The price change: a standard charge of a plan in use, per unit. */
  price: { plan: 'nexadesk_team', charge: 'tickets', metric: 'nd_tickets', product: 'ND-TICKET', from: '0.02', to: '0.03' },
  metric: { code: 'nd_chats', service: 'nexadesk', name: 'Chat conversations', aggregation: 'count' },
  plan: {
    code: 'nexadesk_chat',
    service: 'nexadesk',
    name: 'NexaDesk Chat',
    interval: 'monthly',
    amount: '10.00',
    product: { code: 'ND-CHATP', name: 'NexaDesk Chat (monthly)' },
    charge: { code: 'chats', product: { code: 'ND-CHAT', name: 'NexaDesk chat conversations' }, amount: '0.05' },
  },
  field: {
    model: 'fusion.billing.service',
    name: 'support_email',
    type: 'char',
    string: 'Support email',
    help: 'Where customers of the service write about their invoices (added in release 2).',
  },
} as const;

/** What a release changed, as paths into the spec's tree (for the test that nothing else moved). */
export interface ReleaseEdit {
  path: (string | number)[];
  what: string;
}

export interface SpecRelease {
  text: string;
  edits: ReleaseEdit[];
}

function seqAt(doc: Document, path: (string | number)[]): YAMLSeq {
  const node = doc.getIn(path, true);
  if (!isSeq(node)) throw new Error(`the spec has no list at ${path.join('.')}`);
  return node;
}

/** The index of the item of the list at `path` whose `key` is `value`. */
function indexOf(doc: Document, path: (string | number)[], key: string, value: string): number {
  const index = seqAt(doc, path).items.findIndex((item) => isMap(item) && (item as YAMLMap).get(key) === value);
  if (index < 0) throw new Error(`the spec has no ${path.join('.')} item with ${key} ${value}`);
  return index;
}

/** Release 2 of `specText` (release 1): the same document with RELEASE_2's edits. */
export function releaseTwo(specText: string): SpecRelease {
  const doc = parseDocument(specText);
  if (doc.errors.length) throw new Error(`release 1 does not parse: ${doc.errors[0]!.message}`);
  const edits: ReleaseEdit[] = [];
  const { version, price, metric, plan, field } = RELEASE_2;

  doc.setIn(['module', 'version'], version);
  edits.push({ path: ['module', 'version'], what: `version ${version}` });

  const model = indexOf(doc, ['module', 'models'], 'name', field.model);
  const fields = seqAt(doc, ['module', 'models', model, 'fields']);
  const { model: _model, ...fieldSpec } = field;
  const fieldNode = doc.createNode(fieldSpec);
  fieldNode.flow = true;
  fields.add(fieldNode);
  edits.push({ path: ['module', 'models', model, 'fields', fields.items.length - 1], what: `field ${field.model}.${field.name}` });

  const metrics = seqAt(doc, ['catalog', 'metrics']);
  const metricNode = doc.createNode({ ...metric });
  metricNode.flow = true;
  metrics.add(metricNode);
  edits.push({ path: ['catalog', 'metrics', metrics.items.length - 1], what: `metric ${metric.code}` });

  const planIndex = indexOf(doc, ['catalog', 'plans'], 'code', price.plan);
  const chargeIndex = indexOf(doc, ['catalog', 'plans', planIndex, 'charges'], 'code', price.charge);
  const amountPath = ['catalog', 'plans', planIndex, 'charges', chargeIndex, 'properties', 'amount'];
  const old = doc.getIn(amountPath);
  if (old !== price.from) throw new Error(`${price.plan}.${price.charge} costs ${String(old)} in release 1, not ${price.from}`);
  doc.setIn(amountPath, price.to);
  edits.push({ path: amountPath, what: `${price.plan}.${price.charge} ${price.from} → ${price.to}` });
  // Its pricing examples follow the price (the generated Odoo tests check them).
  const examplesPath = ['catalog', 'plans', planIndex, 'charges', chargeIndex, 'examples'];
  if (doc.hasIn(examplesPath)) {
    doc.deleteIn(examplesPath);
    edits.push({ path: examplesPath, what: `${price.plan}.${price.charge} examples dropped` });
  }

  const plans = seqAt(doc, ['catalog', 'plans']);
  plans.add(
    doc.createNode({
      code: plan.code,
      service: plan.service,
      name: plan.name,
      interval: plan.interval,
      amount: plan.amount,
      product: { ...plan.product },
      charges: [
        {
          code: plan.charge.code,
          metric: metric.code,
          model: 'standard',
          product: { ...plan.charge.product },
          properties: { amount: plan.charge.amount },
          examples: [{ units: '10', amount: '0.50' }],
        },
      ],
    }),
  );
  edits.push({ path: ['catalog', 'plans', plans.items.length - 1], what: `plan ${plan.code}` });
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), edits };
}

/** A spec text validated (every problem located, as `fusion-billing validate` reports it). */
export function validRelease(specFile: string, text: string): ValidSpec {
  return validateSpecText(specFile, text, implementationFacts());
}

/**
 * The module of `text` generated into `outDir` (outDir/<technical name>), without the typed client:
 * what `fusion-billing generate <spec> --out <outDir>` writes of the addon. Returns its directory.
 */
export function generateRelease(specFile: string, text: string, outDir: string): { moduleDir: string; files: number } {
  const valid = validRelease(specFile, text);
  const { files } = generateFromValid(valid, specFile, { client: false });
  mkdirSync(outDir, { recursive: true });
  writeOutput(outDir, valid.spec.module.technical_name, files);
  return { moduleDir: `${outDir}/${valid.spec.module.technical_name}`, files: files.length };
}
