"""The company's RSA key that signs webhooks as Lago's JWTs (X-Lago-Signature-Algorithm: jwt).

Lago signs `{"data": <raw body>, "iss": <its API URL>}` with RS256 and serves the public key,
base64-encoded PEM, at GET /webhooks/public_key. One active key per company is created at install
(and for any company that gets a service later); rotating replaces it. An administrator may paste
the private key of a self-hosted Lago instead, so that receivers keep the public key they hold."""

import base64
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from odoo import api, fields, models
from odoo.exceptions import ValidationError

_KEY_BITS = 2048


def _new_private_key_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def _public_key_pem(private_key_pem):
    """The SubjectPublicKeyInfo PEM of an RSA private key; ValidationError when it is not one."""
    try:
        key = serialization.load_pem_private_key(private_key_pem.strip().encode(), password=None)
    except (TypeError, ValueError) as exc:
        raise ValidationError('The webhook signing key must be an unencrypted RSA private key in PEM form.') from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValidationError('The webhook signing key must be an RSA key (JWTs are signed with RS256).')
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=')


def rs256_jwt(claims, private_key_pem):
    """A JWS compact serialization (RFC 7515) of `claims`, signed with RS256 (RFC 7518 §3.3).

    Signed with `cryptography`, which Odoo itself depends on: a JWT library (PyJWT) is not among
    Odoo's dependencies, nor in its official image, and the module must install wherever Odoo runs.
    Receivers verify with any JWT library (the harness uses `jose`)."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    header = _b64url(json.dumps({'alg': 'RS256', 'typ': 'JWT'}, separators=(',', ':')).encode())
    payload = _b64url(json.dumps(claims, separators=(',', ':')).encode())
    signing_input = header + b'.' + payload
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return (signing_input + b'.' + _b64url(signature)).decode()


def lago_base64(text):
    """Base64 with a line break every 60 characters, as Ruby's Base64.encode64 writes Lago's public key."""
    encoded = base64.b64encode(text.encode()).decode()
    return ''.join(encoded[i:i + 60] + '\n' for i in range(0, len(encoded), 60))


class FusionBillingSigningKey(models.Model):
    _inherit = 'fusion.billing.signing.key'

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault('private_key', _new_private_key_pem())
            vals['public_key'] = _public_key_pem(vals['private_key'])
            vals.setdefault('rotated_at', fields.Datetime.now())
        keys = super().create(vals_list)
        keys.filtered('active')._fusion_archive_older()
        return keys

    def write(self, vals):
        if vals.get('private_key'):
            vals = dict(vals, public_key=_public_key_pem(vals['private_key']), rotated_at=fields.Datetime.now())
        result = super().write(vals)
        if vals.get('active'):
            self._fusion_archive_older()
        return result

    def _fusion_archive_older(self):
        """One active key per company: the one just created or activated; the others are archived."""
        for key in self:
            self.sudo().search([('company_id', '=', key.company_id.id), ('id', '!=', key.id)]).active = False

    def action_rotate(self):
        """Replace the company's key by a new one (receivers fetch the new public key)."""
        self.ensure_one()
        self.sudo().write({'private_key': _new_private_key_pem()})
        return True

    @api.model
    def _fusion_ensure_company_keys(self):
        """Called at install and upgrade (data/catalog.xml): every company with a service has a key."""
        for company in self.env['fusion.billing.service'].sudo().search([]).company_id:
            self._fusion_key_of(company)

    @api.model
    def _fusion_key_of(self, company):
        """The active key of `company`, created when it has none."""
        key = self.sudo().search([('company_id', '=', company.id)], limit=1)
        return key or self.sudo().create({'company_id': company.id})

    def _fusion_issuer(self):
        self.ensure_one()
        return self.issuer or self.env['ir.config_parameter'].sudo().get_param('web.base.url') or ''

    def _fusion_sign(self, body):
        """X-Lago-Signature of a jwt endpoint: RS256 JWT of {"data": <raw body>, "iss": <issuer>}."""
        self.ensure_one()
        return rs256_jwt({'data': body.decode(), 'iss': self._fusion_issuer()}, self.sudo().private_key)

    def _fusion_public_key_base64(self):
        """What GET /webhooks/public_key answers: the PEM public key in base64, as Lago serves it."""
        self.ensure_one()
        return lago_base64(self.public_key)


class FusionBillingService(models.Model):
    _inherit = 'fusion.billing.service'

    @api.model_create_multi
    def create(self, vals_list):
        services = super().create(vals_list)
        # Webhooks of a company's services are signed with its key: it exists before the first one.
        for company in services.company_id:
            self.env['fusion.billing.signing.key']._fusion_key_of(company)
        return services
