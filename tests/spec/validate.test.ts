import { describe, expect, it } from 'vitest';
import { SpecError, validateSpecText, type Diagnostic } from '../../generators/spec/index.ts';
import { mutate, NEXA, NEXA_PATH } from '../helpers.ts';

function problems(text: string): Diagnostic[] {
  try {
    validateSpecText(NEXA_PATH, text);
  } catch (err) {
    if (err instanceof SpecError) return err.diagnostics;
    throw err;
  }
  return [];
}

/** Applies a mutation and returns the single problem it causes. */
function onlyProblem(find: string, replace: string, offset = 0) {
  const m = mutate(NEXA, find, replace);
  const found = problems(m.text);
  expect(found, JSON.stringify(found)).toHaveLength(1);
  return { problem: found[0]!, line: m.line, column: m.column + offset };
}

describe('spec validation', () => {
  it('accepts the shipped NexaSystems spec', () => {
    const valid = validateSpecText(NEXA_PATH, NEXA);
    const kinds = new Set(valid.spec.catalog.services.map((s) => s.kind));
    expect(kinds).toEqual(new Set(['cloud', 'helpdesk', 'maps', 'custom_app', 'membership']));
    expect(new Set(valid.spec.catalog.metrics.map((m) => m.aggregation))).toEqual(
      new Set(['count', 'sum', 'max', 'unique_count', 'latest', 'weighted_sum']),
    );
    const models = new Set(valid.spec.catalog.plans.flatMap((p) => p.charges.map((c) => c.model)));
    expect(models).toEqual(new Set(['standard', 'graduated', 'volume', 'package', 'percentage', 'graduated_percentage']));
  });

  it('locates an unknown metric reference and suggests the near miss', () => {
    const { problem, line, column } = onlyProblem('metric: nc_storage_gb', 'metric: nc_storage_g', 'metric: '.length);
    expect(problem).toMatchObject({ file: NEXA_PATH, line, column });
    expect(problem.message).toBe("charge 'storage' refers to unknown metric 'nc_storage_g' (did you mean 'nc_storage_gb'?)");
  });

  it('refuses a numeric amount where Lago requires a decimal string', () => {
    const { problem, line } = onlyProblem('properties: {amount: "0.12"}', 'properties: {amount: 0.12}');
    expect(problem.line).toBe(line);
    expect(problem.message).toBe('amount: money must be a decimal string: write "0.12", not 0.12 (Lago rejects numeric amounts)');
  });

  it('reports gapped, overlapping and mixed-style tiers at the offending bound', () => {
    const gap = onlyProblem('{from_value: 100001, to_value: 1000000', '{from_value: 100005, to_value: 1000000', '{from_value: '.length);
    expect(gap.problem).toMatchObject({ line: gap.line, column: gap.column });
    expect(gap.problem.message).toBe('gap between tiers: from_value 100005, expected 100001 (classic tiers, previous to_value 100000)');

    const overlap = onlyProblem('{from_value: 9, to_value: 32', '{from_value: 5, to_value: 32');
    expect(overlap.problem.message).toBe('tier overlaps the previous one: from_value 5, expected 9 (classic tiers, previous to_value 8)');

    const mixed = onlyProblem('{from_value: 1000001, to_value: null', '{from_value: 1000000, to_value: null');
    expect(mixed.problem.message).toMatch(/mix adjacent .* and classic/);
  });

  it('requires an open-ended last tier and whole numbers in classic tiers', () => {
    const closed = onlyProblem('{from_value: 6, to_value: null', '{from_value: 6, to_value: 100');
    expect(closed.problem.message).toMatch(/last tier must be open-ended/);
    const decimal = mutate(NEXA, '{from_value: 0, to_value: 8,', '{from_value: 0, to_value: 8.5,');
    expect(problems(decimal.text).map((p) => p.message)).toContain(
      'to_value 8.5: classic tiers use whole numbers (use adjacent tiers, from = previous to, for decimal bounds)',
    );
  });

  it('refuses unknown currencies and duplicate codes', () => {
    const currency = onlyProblem('currency: USD', 'currency: USX', 'currency: '.length);
    expect(currency.problem).toMatchObject({ line: currency.line, column: currency.column });
    expect(currency.problem.message).toBe("service 'nexamaps': unknown currency 'USX' (not an ISO 4217 code)");

    const duplicate = mutate(NEXA, '{code: nd_tickets,', '{code: nd_agents,');
    const messages = problems(duplicate.text).map((p) => `${p.line}: ${p.message}`);
    expect(messages).toContain(`${duplicate.line}: duplicate metric code 'nd_agents' (first defined at index 4)`);
    // The charge that used the renamed metric is reported too, not silently re-bound.
    expect(messages.some((m) => m.includes("charge 'tickets' refers to unknown metric 'nd_tickets'"))).toBe(true);
  });

  it('refuses combinations Lago refuses', () => {
    expect(
      onlyProblem('name: API requests, aggregation: count,', 'name: API requests, aggregation: count, recurring: true,').problem.message,
    ).toMatch(/a count metric cannot be recurring/);
    expect(onlyProblem('aggregation: sum, field_name: gb}', 'aggregation: sum}').problem.message).toBe(
      "metric 'nc_egress_gb': aggregation 'sum' needs a field_name (the event property to aggregate)",
    );
    const percentageOnLatest = mutate(
      NEXA,
      'metric: fa_devices\n          model: standard',
      'metric: fa_devices\n          model: percentage',
    );
    const text = percentageOnLatest.text
      .replace('properties: {amount: "3.50"}', 'properties: {rate: "1"}')
      .replace('{units: "12", amount: "42.00"}', '{units: "12", amount: "0.12"}');
    expect(problems(text).map((p) => p.message)).toEqual([
      "charge 'devices': the percentage model cannot price a latest metric ('fa_devices')",
    ]);
  });

  it('refuses impossible plan settings and charge filters, at the offending key', () => {
    const monthly = onlyProblem(
      'interval: monthly\n      amount: "29.00"\n      pay_in_advance: true',
      'interval: monthly\n      amount: "29.00"\n      bill_charges_monthly: true\n      pay_in_advance: true',
    );
    expect(monthly.problem.message).toBe(
      "plan 'nexacloud_starter' is monthly: bill_charges_monthly applies to yearly and semiannual plans only",
    );
    const region = onlyProblem('values: {region: [ca-central]}', 'values: {region: [ca-west]}', 'values: {region: ['.length);
    expect(region.problem).toMatchObject({ line: region.line, column: region.column });
    expect(region.problem.message).toBe(
      "charge 'api_requests': 'ca-west' is not a value of filter 'region' of metric 'nc_api_requests'; allowed: ca-central, us-east",
    );
    expect(onlyProblem('values: {region: [ca-central]}', 'values: {zone: [ca-central]}').problem.message).toMatch(
      /metric 'nc_api_requests' has no filter 'zone'/,
    );
    // A filter's properties follow its charge model's rules, located inside the filter.
    const gap = onlyProblem(
      '                  - {from_value: 20001, to_value: null, per_unit_amount: "0.0003"',
      '                  - {from_value: 20005, to_value: null, per_unit_amount: "0.0003"',
    );
    expect(gap.problem.line).toBe(gap.line);
    expect(gap.problem.message).toMatch(/20005/);
  });

  it('refuses usage thresholds Lago refuses, at the offending threshold', () => {
    const cents = onlyProblem('- {amount: "400.00"}', '- {amount: "400.005"}', '- {amount: '.length);
    expect(cents.problem).toMatchObject({ line: cents.line, column: cents.column });
    expect(cents.problem.message).toBe("usage threshold 400.005 of plan 'nexacloud_pro' has more decimals than CAD (2)");
    expect(onlyProblem('- {amount: "400.00"}', '- {amount: "150.0"}').problem.message).toBe(
      "plan 'nexacloud_pro' already has a one-time usage threshold of 150.0 (usage_thresholds[0])",
    );
    expect(onlyProblem('- {amount: "400.00"}', '- {amount: "0.00"}').problem.message).toBe(
      "usage threshold of plan 'nexacloud_pro' must be above zero",
    );
    expect(onlyProblem('- {amount: "400.00"}', '- {amount: "400.00", recurring: true}').problem.message).toBe(
      "plan 'nexacloud_pro' has a recurring usage threshold already (usage_thresholds[1]): Lago allows one",
    );
  });

  it('checks the module part: references to groups, fields and the core contract', () => {
    const group = onlyProblem('access: {group_user: r, group_manager: r}', 'access: {group_user: r, group_managr: r}');
    expect(group.problem.message).toBe("access: unknown group 'group_managr' (did you mean 'group_manager'?)");

    const column = onlyProblem(
      'unique: [service_id, transaction_id, external_subscription_id]',
      'unique: [service_id, transaction, external_subscription_id]',
    );
    expect(column.problem.message).toBe("unknown field 'transaction' (did you mean 'transaction_id'?)");

    const untested = onlyProblem('          violated_by: {attempt_count: -1}\n', '');
    expect(untested.problem.message).toBe(
      "check constraint 'attempt_count_positive' needs violated_by: field values that must make it fail (the generated tests assert that they do)",
    );

    const renamed = mutate(NEXA, '- name: fusion_interval\n', '- name: interval\n');
    expect(problems(renamed.text).map((p) => p.message)).toEqual([
      "sale.order.template must declare fusion_interval: the catalog data and the module's own code use it",
      "field 'interval' added to sale.order.template must start with 'fusion_'",
    ]);
  });

  it('knows which fields a table without log access lacks, and which datetime default it takes', () => {
    const noCreateDate = onlyProblem(
      '      order: timestamp desc, id desc\n      # The busiest',
      '      order: create_date desc, id desc\n      # The busiest',
      13,
    );
    expect(noCreateDate.problem.message).toBe("order: unknown field 'create_date'");
    expect(noCreateDate.problem.line).toBe(noCreateDate.line);

    const fixedDefault = onlyProblem(
      'required: true, default: now, help: "When the API',
      'required: true, default: yesterday, help: "When the API',
    );
    expect(fixedDefault.problem.message).toBe("a datetime field takes no default but 'now' (the time the record is created)");
    expect(fixedDefault.problem.line).toBe(fixedDefault.line);
  });

  it('turns malformed YAML into a located error instead of a crash', () => {
    const found = problems('spec_version: 1\nmodule: [\n  foo: bar\n');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^YAML: /);
    expect(found[0]!.file).toBe(NEXA_PATH);
  });

  it('refuses duplicated mapping keys and unknown keys', () => {
    const dup = problems('spec_version: 1\nspec_version: 1\n');
    expect(dup[0]!.message).toMatch(/^YAML: .*unique/i);
    const unknown = onlyProblem('  license: LGPL-3\n', '  license: LGPL-3\n  licence: MIT\n');
    expect(unknown.problem).toMatchObject({ line: unknown.line + 1, column: 3 });
    expect(unknown.problem.message).toBe("module: unknown key 'licence'");
  });
});
