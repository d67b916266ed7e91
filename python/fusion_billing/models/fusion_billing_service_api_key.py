"""API keys of billing services: the bearer token an application sends to the Lago-shaped API.

A key is shown once and only its SHA-256 digest is stored: a random 256-bit key needs no slow
hash (nothing to brute-force), and a plain digest can be looked up through an index."""

import hashlib
import hmac
import secrets

from odoo import api, fields, models, tools

from ..engine.bookkeeping import write_now_and_then


KEY_PREFIX = 'fb_'
# Characters of the key kept in clear so that administrators can tell keys apart.
DISPLAY_CHARS = 10
# A key's last use is written at most this often per worker: every request authenticates.
LAST_USE_EVERY_SECONDS = 60
_last_use_written = {}


def digest_of(key):
    return hashlib.sha256(key.encode('utf-8')).hexdigest()


class FusionBillingService(models.Model):
    _inherit = 'fusion.billing.service'

    fusion_new_api_key = fields.Char(
        string='New API key', compute='_compute_fusion_new_api_key',
        help='Shown once, right after it was generated; only its digest is stored.')

    def _compute_fusion_new_api_key(self):
        # The key travels only in the context of the dialog that shows it: never stored.
        for service in self:
            service.fusion_new_api_key = self.env.context.get('fusion_new_api_key') or False

    def action_generate_api_key(self):
        """Replace the service's API key with a new one and show it once, in a dialog with a
        copy button.

        The returned action carries the key under 'fusion_api_key' as well, for scripts that
        call this method over JSON-2."""
        self.ensure_one()
        self.check_access('write')
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        # sudo: api_key_hash is restricted to system users, even for the service's managers.
        self.sudo().write({
            'api_key_hash': digest_of(key),
            'api_key_prefix': key[:DISPLAY_CHARS],
            'api_key_created_at': fields.Datetime.now(),
            'api_key_last_used_at': False,
        })
        _last_use_written.pop(self.id, None)
        self.message_post(body=self.env._('New API key %s… generated; the previous key no longer works.', key[:DISPLAY_CHARS]))
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._('API key of %s', self.name),
            'res_model': self._name,
            'res_id': self.id,
            'views': [(self.env.ref('fusion_billing.fusion_billing_service_view_form_new_key').id, 'form')],
            'target': 'new',
            'context': {'fusion_new_api_key': key},
            'fusion_api_key': key,
        }

    def action_revoke_api_key(self):
        """Revoke the services' API keys: requests with them are answered 401 at once."""
        self.check_access('write')
        for service in self.filtered('api_key_prefix'):
            service.message_post(body=self.env._('API key %s… revoked.', service.api_key_prefix))
        self.sudo().write({'api_key_hash': False, 'api_key_prefix': False, 'api_key_created_at': False, 'api_key_last_used_at': False})
        return True

    @api.model
    def _fusion_service_for_key(self, key):
        """The active service whose current API key is `key`, or an empty recordset."""
        found = self._fusion_authenticate(key)
        return self.browse(found[0]) if found else self.browse()

    @api.model
    def _fusion_authenticate(self, key):
        """(service id, company id) of the active service whose current API key is `key`, or None."""
        if not key or not isinstance(key, str) or not key.startswith(KEY_PREFIX):
            return None
        digest = digest_of(key)
        for known, found in self._fusion_key_index().items():
            # Constant time: the comparison takes as long wherever the digests differ.
            if hmac.compare_digest(known, digest):
                self._fusion_note_key_use(found[0])
                return found
        return None

    @api.model
    def _fusion_note_key_use(self, service_id):
        """Record when the service's key was last used, at most once a minute per worker, in a
        transaction of its own that waits for no lock: the request never fails or slows for it."""
        write_now_and_then(
            self.env, _last_use_written, service_id, LAST_USE_EVERY_SECONDS,
            "UPDATE fusion_billing_service SET api_key_last_used_at = now() AT TIME ZONE 'UTC' WHERE id = %s",
            [service_id], f'API key use of service {service_id}')

    @api.model
    @tools.ormcache()
    def _fusion_key_index(self):
        """{key digest: (service id, company id)} of the active services that have a key.

        Every API request authenticates: one cached map per worker instead of a query. Any
        change to a key, a service's activity or company clears it (see write), and Odoo
        signals the clearing to the other workers before their next request, so a revoked key
        is refused at once everywhere. Only existing keys are cached: wrong keys cannot fill
        Odoo's shared cache."""
        self.flush_model(['api_key_hash', 'active', 'company_id'])
        self.env.cr.execute(
            'SELECT api_key_hash, id, company_id FROM fusion_billing_service WHERE active AND api_key_hash IS NOT NULL')
        return {digest: (service_id, company_id) for digest, service_id, company_id in self.env.cr.fetchall()}

    @api.model
    @tools.ormcache('service_id')
    def _fusion_accepts_unknown(self, service_id):
        """(accepts events of unknown metrics, accepts events of unknown subscriptions) of a
        service, read by every event request: cached per worker like the key index."""
        self.flush_model(['unknown_metric', 'unknown_subscription'])
        self.env.cr.execute(
            'SELECT unknown_metric, unknown_subscription FROM fusion_billing_service WHERE id = %s', [service_id])
        metric, subscription = self.env.cr.fetchone()
        return metric == 'accept', subscription == 'accept'

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if {'api_key_hash', 'active', 'company_id', 'unknown_metric', 'unknown_subscription'} & vals.keys():
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
