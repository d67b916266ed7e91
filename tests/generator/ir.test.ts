import { describe, expect, it } from 'vitest';
import { compileSpec } from '../../generators/generate.ts';
import { NEXA_PATH, REPO } from '../helpers.ts';

const ir = compileSpec(`${REPO}${NEXA_PATH}`);
const model = (name: string) => ir.module.models.find((m) => m.name === name)!;

describe('intermediate model', () => {
  it('resolves Odoo names for every model', () => {
    const link = model('fusion.billing.account.link');
    expect(link).toMatchObject({
      className: 'FusionBillingAccountLink',
      table: 'fusion_billing_account_link',
      shortName: 'account_link',
      modelXmlid: 'model_fusion_billing_account_link',
    });
    expect(link.constraints[0]).toMatchObject({
      attr: '_service_external_uniq',
      sqlName: 'fusion_billing_account_link_service_external_uniq',
      definition: 'UNIQUE(service_id, external_id)',
    });
  });

  it('adds company_id and a multi-company rule as the spec asks', () => {
    const service = model('fusion.billing.service');
    expect(service.fields.find((f) => f.name === 'company_id')!.kwargs).toContainEqual(['default', 'lambda self: self.env.company']);
    expect(model('fusion.billing.metric').fields.find((f) => f.name === 'company_id')!.kwargs).toContainEqual([
      'related',
      "'service_id.company_id'",
    ]);
    expect(service.rule!.domain).toBe("['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]");
  });

  it('keeps the usage table lean: no log access columns, company read through the service', () => {
    const usage = model('fusion.billing.usage');
    expect(usage.logAccess).toBe(false);
    expect(model('fusion.billing.metric').logAccess).toBe(true);
    expect(usage.company).toEqual({ kind: 'related', path: 'service_id.company_id', stored: false });
    const company = usage.fields.find((f) => f.name === 'company_id')!;
    expect(company.kwargs.map(([k]) => k)).not.toContain('store');
    expect(usage.rule!.domain).toBe("['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]");
    expect(usage.fields.find((f) => f.name === 'received_at')!.kwargs).toContainEqual(['default', 'fields.Datetime.now']);
  });

  it('links company-scoped records with check_company', () => {
    const metricField = model('fusion.billing.charge').fields.find((f) => f.name === 'metric_id')!;
    expect(metricField.kwargs).toContainEqual(['check_company', 'True']);
    const productField = model('fusion.billing.charge').fields.find((f) => f.name === 'product_id')!;
    expect(productField.kwargs.map(([k]) => k)).not.toContain('check_company');
  });

  it('computes effective group rights through implied groups', () => {
    const manager = ir.module.groups.find((g) => g.xmlid === 'group_manager')!;
    expect(manager.effectiveGroupIds).toEqual(['group_manager', 'group_user']);
    expect(manager.impliedRefs).toEqual(['group_user']);
  });

  it('orders manifest data so that groups exist before ACLs, and actions before menus', () => {
    const data = ir.module.dataFiles;
    expect(data[0]).toBe('security/fusion_billing_security.xml');
    expect(data.indexOf('security/ir.model.access.csv')).toBeLessThan(data.indexOf('security/fusion_billing_rules.xml'));
    expect(data.indexOf('views/fusion_billing_service_views.xml')).toBeLessThan(data.indexOf('views/menus.xml'));
  });

  it('builds test factories that create parents in the requested company', () => {
    const usage = model('fusion.billing.usage').factory;
    expect(usage.method).toBe('make_usage');
    expect(usage.companyField).toEqual({ via: 'service_id' });
    expect(usage.vals.find((v) => v.field === 'service_id')!.expr).toBe('cls.make_service(company=company).id');
    expect(model('fusion.billing.webhook.endpoint').factory.vals.find((v) => v.field === 'url')!.expr).toBe(
      "'https://hooks.example.com/billing'",
    );
  });

  it('carries the catalog with products, plans and located pricing examples', () => {
    const plan = ir.catalog.plans.find((p) => p.code === 'nexacloud_pro')!;
    expect(plan).toMatchObject({ currency: 'CAD', currencyExponent: 2, amount: '99.00', productXmlid: 'product_nc_pro' });
    const api = plan.charges.find((c) => c.code === 'api_requests')!;
    expect(api.examples[2]).toMatchObject({ units: '250000', amount: '60.00' });
    expect(api.examples[2]!.where).toMatch(/^spec\/nexa\.yaml:\d+:\d+$/);
    const products = new Map(ir.catalog.products.map((p) => [p.code, p]));
    expect(products.get('NC-PRO')).toMatchObject({ listPrice: '99.00' });
    expect(products.get('NC-API')).toMatchObject({ listPrice: '0' });
    expect(ir.catalog.currencies.map((c) => c.code)).toEqual(['CAD', 'USD']);
  });

  it('answers the methods a path does not serve with 405 routes', () => {
    const byPath = new Map(ir.module.api.notAllowed.map((n) => [n.odooPath, n.methods]));
    expect(byPath.get('/api/v1/events')).toEqual(['GET', 'PUT', 'PATCH', 'DELETE']);
    expect(byPath.get('/api/v1/subscriptions/<string:external_id>')).toEqual(['POST', 'PATCH']);
    expect(byPath.get('/api/v1/plans')).toEqual(['POST', 'PUT', 'PATCH', 'DELETE']);
    // Every other path under the base path answers Lago's JSON 404.
    expect(ir.module.api.unknownPath).toEqual({
      odooPaths: ['/api/v1', '/api/v1/<path:unknown_path>'],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    });
    expect(ir.module.api.routes.find((r) => r.handler === 'create_event')).toMatchObject({ readonly: 'False', odooPath: '/api/v1/events' });
  });
});
