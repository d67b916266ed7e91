"""API keys of billing services: the bearer token an application sends to the Lago-shaped API.

A key is shown once and only its SHA-256 digest is stored: a random 256-bit key needs no slow
hash (nothing to brute-force), and a plain digest can be looked up through an index."""

import hashlib
import hmac
import secrets

from odoo import api, fields, models

KEY_PREFIX = 'fb_'
# Characters of the key kept in clear so that administrators can tell keys apart.
DISPLAY_CHARS = 10


def digest_of(key):
    return hashlib.sha256(key.encode('utf-8')).hexdigest()


class FusionBillingService(models.Model):
    _inherit = 'fusion.billing.service'

    def action_generate_api_key(self):
        """Replace the service's API key with a new one and show it once.

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
        })
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {
                'title': self.env._('API key of %s', self.name),
                'message': self.env._(
                    'Copy this key now, it will not be shown again: %s', key),
                'type': 'warning',
                'sticky': True,
                'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'},
            },
            'fusion_api_key': key,
        }

    def action_revoke_api_key(self):
        """Revoke the services' API keys: requests with them are answered 401 at once."""
        self.check_access('write')
        self.sudo().write({'api_key_hash': False, 'api_key_prefix': False, 'api_key_created_at': False})
        return True

    @api.model
    def _fusion_service_for_key(self, key):
        """The active service whose current API key is `key`, or an empty recordset."""
        if not key or not isinstance(key, str) or not key.startswith(KEY_PREFIX):
            return self.browse()
        digest = digest_of(key)
        service = self.sudo().search([('api_key_hash', '=', digest)], limit=1)
        # The index lookup already matched; the constant-time compare keeps the check
        # independent of how the lookup behaves.
        if service and hmac.compare_digest(service.api_key_hash, digest):
            return service
        return self.browse()
