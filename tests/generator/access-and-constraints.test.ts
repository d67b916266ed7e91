// The access matrix and the constraint cases are derived in the IR (ir/access.ts, ir/constraints.ts):
// the generated Odoo tests only lay them out.
import { describe, expect, it } from 'vitest';
import { compileSpec } from '../../generators/generate.ts';
import { accessMatrix, effectiveRights, INTERNAL_USER } from '../../generators/ir/access.ts';
import { constraintCases } from '../../generators/ir/constraints.ts';
import type { AccessIR } from '../../generators/ir/types.ts';
import { NEXA_PATH, REPO } from '../helpers.ts';

const ir = compileSpec(`${REPO}${NEXA_PATH}`);
const rightsOf = (model: string) => ir.module.accessMatrix.models.find((m) => m.model === model)!;
const none = { read: false, write: false, create: false, unlink: false };

describe('access matrix of spec/nexa.yaml', () => {
  it('has a user per group (base.group_user and the group) and an internal user in none', () => {
    expect(ir.module.accessMatrix.users).toEqual([
      { key: 'group_user', login: 'fusion_group_user', groups: 'base.group_user,fusion_billing.group_user' },
      { key: 'group_manager', login: 'fusion_group_manager', groups: 'base.group_user,fusion_billing.group_manager' },
      { key: INTERNAL_USER, login: 'fusion_internal_user', groups: 'base.group_user' },
    ]);
  });

  it('gives fusion.billing.service {group_user: r, group_manager: rwcd}', () => {
    expect(rightsOf('fusion.billing.service')).toEqual({
      model: 'fusion.billing.service',
      rights: {
        group_user: { read: true, write: false, create: false, unlink: false },
        group_manager: { read: true, write: true, create: true, unlink: true },
        internal: none,
      },
      reader: 'group_user',
    });
  });

  it('gives fusion.billing.webhook {group_user: r, group_manager: rw} and the usage table {r, r}', () => {
    expect(rightsOf('fusion.billing.webhook').rights).toEqual({
      group_user: { read: true, write: false, create: false, unlink: false },
      group_manager: { read: true, write: true, create: false, unlink: false },
      internal: none,
    });
    expect(rightsOf('fusion.billing.usage').rights.group_manager).toEqual({ read: true, write: false, create: false, unlink: false });
  });

  it('lists every model of the module, in its order', () => {
    expect(ir.module.accessMatrix.models.map((m) => m.model)).toEqual(ir.module.models.map((m) => m.name));
  });

  it('counts the rights of implied groups: a manager may do what only the user group is granted', () => {
    const userOnly: AccessIR[] = [
      {
        xmlid: 'access_x_group_user',
        groupRef: 'group_user',
        groupId: 'group_user',
        read: true,
        write: true,
        create: false,
        unlink: false,
      },
    ];
    const matrix = accessMatrix(ir.module.groups, [{ name: 'x.model', access: userOnly }]);
    expect(matrix.models[0]!.rights.group_manager).toEqual({ read: true, write: true, create: false, unlink: false });
    expect(matrix.models[0]!.rights.internal).toEqual(none);
    expect(effectiveRights(userOnly, ['group_manager'])).toEqual(none);
  });

  it('has no reader for a model no group may read', () => {
    expect(accessMatrix(ir.module.groups, [{ name: 'x.model', access: [] }]).models[0]!.reader).toBeUndefined();
  });
});

describe('constraint cases of spec/nexa.yaml', () => {
  const cases = ir.module.constraintCases;

  it('names the unique test after the constraint without the module prefix, with a char control column', () => {
    expect(cases.uniqueTests.find((t) => t.model === 'fusion.billing.account.link')).toEqual({
      testName: 'account_link_service_external_uniq',
      model: 'fusion.billing.account.link',
      message: 'This application account is already linked.',
      factory: 'make_account_link',
      columns: ['service_id', 'external_id'],
      where: undefined,
      controlColumn: 'external_id',
    });
  });

  it('copies the WHERE columns of a partial unique index and lists it with the indexes', () => {
    const active = cases.uniqueTests.find((t) => t.testName === 'sale_order_fusion_external_active_uniq')!;
    expect(active).toMatchObject({
      model: 'sale.order',
      columns: ['fusion_service_id', 'fusion_external_id', 'fusion_status'],
      where: { fusion_status: 'active' },
    });
    expect(cases.indexNames).toContain('sale_order_fusion_external_active_uniq');
    expect(cases.constraintNames).not.toContain('sale_order_fusion_external_active_uniq');
    expect(cases.constraintNames).toContain('fusion_billing_account_link_service_external_uniq');
  });

  it('tries the violating values of every check constraint', () => {
    expect(cases.checkTests.filter((t) => t.model === 'fusion.billing.metric').map((t) => t.violatedBy)).toEqual([
      { aggregation_type: 'sum', field_name: false },
      { aggregation_type: 'max', field_name: 'vcpus', recurring: true },
    ]);
  });

  it('strips the prefix of the technical name it is given, not a fixed one', () => {
    const constraint = {
      attr: '_code_uniq',
      sqlName: 'acme_billing_thing_code_uniq',
      definition: 'UNIQUE(code)',
      message: 'm',
      unique: ['code'],
      isIndex: false,
    };
    const owner = { model: 'acme.billing.thing', factory: 'make_thing', fields: [], constraints: [constraint] };
    expect(constraintCases([owner], [], 'acme_billing').uniqueTests[0]!.testName).toBe('thing_code_uniq');
    expect(constraintCases([owner], [], 'fusion_billing').uniqueTests[0]!.testName).toBe('acme_billing_thing_code_uniq');
  });
});
