"""Records that come from the billing spec (data/catalog.xml) are read-only in Odoo.

The spec is their source of truth: an edit made in Odoo would be undone by the next module
upgrade, or leave Odoo and the spec disagreeing. What is operational (API keys, signing secrets, the
Lago connection, activity) stays editable; everything else is changed in the spec and applied with
`fusion-billing generate` and an upgrade of the module (`-u fusion_billing`), which loads the
catalog through `_load_records` and is the one writer allowed."""

from odoo import api, fields, models
from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.exceptions import UserError

MODULE = 'fusion_billing'
# Fields any record has that are not the spec's (bookkeeping and chatter).
_BOOKKEEPING = {'id', 'display_name', 'create_uid', 'create_date', 'write_uid', 'write_date'}


class FusionBillingSpecManaged(models.AbstractModel):
    _name = 'fusion.billing.spec.managed'
    _description = 'Record defined by the billing spec'

    # Fields the spec does not own on a spec record: an administrator may change them.
    _fusion_operational_fields = frozenset({'active'})

    fusion_spec_managed = fields.Boolean(
        string='Defined by the billing spec', compute='_compute_fusion_spec_managed',
        help='Changed in the billing spec (spec/nexa.yaml), applied by generating the module and upgrading it.')

    def _compute_fusion_spec_managed(self):
        managed = self._fusion_spec_ids()
        for record in self:
            record.fusion_spec_managed = record.id in managed

    def _fusion_spec_ids(self):
        """Ids of these records that the module's catalog defines."""
        ids = [record_id for record_id in self.ids if isinstance(record_id, int)]
        if not ids:
            return set()
        data = self.env['ir.model.data'].sudo().search_fetch(
            [('module', '=', MODULE), ('model', '=', self._name), ('res_id', 'in', ids)], ['res_id'])
        return set(data.mapped('res_id'))

    def _fusion_spec_owned(self, field_names):
        """The fields among `field_names` that the spec owns on a spec record.

        Extension point: a model (or a bridge) may narrow the set, handing fields to the
        administrators; it must call super() and filter the set it returns."""
        return {
            name for name in field_names
            if name not in self._fusion_operational_fields and name not in _BOOKKEEPING
            and not name.startswith(('message_', 'activity_', 'website_message'))
            and name in self._fields and self._fields[name].store
        }

    def _fusion_check_spec_edit(self, field_names=None):
        if self.env.context.get('fusion_spec_load') or self.env.context.get(MODULE_UNINSTALL_FLAG) or not self.env.registry.ready:
            return
        owned = self._fusion_spec_owned(field_names) if field_names is not None else {'*'}
        if not owned:
            return
        spec_records = self.browse(self._fusion_spec_ids())
        if spec_records:
            raise UserError(self.env._(
                '%(records)s: defined by the billing spec, which is the source of truth: change it in '
                'spec/nexa.yaml, run "fusion-billing generate" and upgrade the module (-u fusion_billing). '
                'Fields changed: %(fields)s.',
                records=', '.join(spec_records.mapped('display_name')),
                fields=', '.join(sorted(self._fields[name].string for name in owned if name in self._fields)) or self.env._('deletion')))

    @api.model
    def _load_records(self, data_list, update=False):
        # The module's data (the catalog generated from the spec) is the one writer of spec fields.
        return super(FusionBillingSpecManaged, self.with_context(fusion_spec_load=True))._load_records(data_list, update)

    def write(self, vals):
        self._fusion_check_spec_edit(vals.keys())
        return super().write(vals)

    def unlink(self):
        self._fusion_check_spec_edit()
        return super().unlink()


class FusionBillingService(models.Model):
    _name = 'fusion.billing.service'
    _inherit = ['fusion.billing.service', 'fusion.billing.spec.managed']
    _fusion_operational_fields = frozenset({
        'active', 'api_key_hash', 'api_key_prefix', 'api_key_created_at', 'api_key_last_used_at',
        'lago_api_url', 'lago_api_key', 'lago_pulled_until',
        # Switched by the cutover (fusion-billing lago cutover) once reconciliation allows it.
        'billing_mode'})


class FusionBillingMetric(models.Model):
    _name = 'fusion.billing.metric'
    _inherit = ['fusion.billing.metric', 'fusion.billing.spec.managed']


class FusionBillingCharge(models.Model):
    _name = 'fusion.billing.charge'
    _inherit = ['fusion.billing.charge', 'fusion.billing.spec.managed']


class FusionBillingWebhookEndpoint(models.Model):
    _name = 'fusion.billing.webhook.endpoint'
    _inherit = ['fusion.billing.webhook.endpoint', 'fusion.billing.spec.managed']
    # The spec names an endpoint and what it receives; the administrator may point it elsewhere (a
    # staging receiver; an upgrade writes the spec's URL again) and owns its signing secret.
    _fusion_operational_fields = frozenset({'active', 'url', 'secret', 'secret_rotated_at'})


class SaleOrderTemplate(models.Model):
    _name = 'sale.order.template'
    _inherit = ['sale.order.template', 'fusion.billing.spec.managed']

    def _fusion_spec_owned(self, field_names):
        # A plan's billing terms are the spec's; the rest of a quotation template is Odoo's own.
        owned = super()._fusion_spec_owned(field_names)
        return {name for name in owned if name.startswith('fusion_') or name in ('name', 'sale_order_template_line_ids')}
