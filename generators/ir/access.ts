// The access matrix: what a user of each module group (implied groups included), and an internal user
// in none, may do with each model, summed from the models' ACL rows. The generated access tests check it.
import type { AccessIR, AccessMatrixIR, GroupIR, ModelRightsIR, Operation, RightsIR, TestUserIR } from './types.ts';

/** The test user with base.group_user only: no ACL row grants it anything. */
export const INTERNAL_USER = 'internal';

/** The rights of a user whose groups are `groupIds`: an operation any of their ACL rows grants. */
export function effectiveRights(access: readonly AccessIR[], groupIds: readonly string[]): RightsIR {
  const granted = (op: Operation) => access.some((a) => groupIds.includes(a.groupId) && a[op]);
  return { read: granted('read'), write: granted('write'), create: granted('create'), unlink: granted('unlink') };
}

/** Test logins need only be unique in the test database: these are the names the tests have always used. */
const LOGIN_PREFIX = 'fusion_';

export function accessMatrix(
  groups: readonly GroupIR[],
  models: readonly { readonly name: string; readonly access: readonly AccessIR[] }[],
): AccessMatrixIR {
  const users: (TestUserIR & { readonly groupIds: readonly string[] })[] = [
    ...groups.map((g) => ({
      key: g.xmlid,
      login: `${LOGIN_PREFIX}${g.xmlid}`,
      groups: `base.group_user,${g.ref}`,
      groupIds: g.effectiveGroupIds,
    })),
    { key: INTERNAL_USER, login: `${LOGIN_PREFIX}${INTERNAL_USER}_user`, groups: 'base.group_user', groupIds: [] },
  ];
  const groupUsers = users.slice(0, groups.length);
  return {
    users: users.map(({ key, login, groups: param }) => ({ key, login, groups: param })),
    models: models.map(
      (model): ModelRightsIR => ({
        model: model.name,
        rights: Object.fromEntries(users.map((u) => [u.key, effectiveRights(model.access, u.groupIds)])),
        reader: groupUsers.find((u) => effectiveRights(model.access, u.groupIds).read)?.key,
      }),
    ),
  };
}
