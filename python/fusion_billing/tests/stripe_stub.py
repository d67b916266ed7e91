"""A small Stripe API stand-in on 127.0.0.1 for the Odoo tests (which cannot start the harness's
Node mock): the requests payment_stripe sends really go out through `requests`, form-encoded, and
Stripe's answers and errors (HTTP 402 card_error) come back through payment_stripe's own parsing.

Customers and cards are seeded; a card id listed in `declining` is declined, in `needing_action`
asks for 3-D Secure. Every request is recorded with its decoded form params."""

import json
import secrets
from urllib.parse import parse_qsl, urlsplit

from .local_http import LocalHttpServer, QuietHandler

DECLINE = {
    'type': 'card_error',
    'code': 'card_declined',
    'decline_code': 'generic_decline',
    'message': 'Your card was declined.',
    'doc_url': 'https://stripe.com/docs/error-codes/card-declined',
}


def _id(prefix):
    return f'{prefix}_{secrets.token_hex(12)}'


class StripeStub(LocalHttpServer):
    def __init__(self):
        self.requests = []
        self.customers = {}  # id -> default payment method id or None
        self.cards = {}  # id -> (customer id, brand, last4)
        self.declining = set()
        self.needing_action = set()
        stub = self

        class Handler(QuietHandler):
            def do_GET(self):
                self._serve()

            def do_POST(self):
                self._serve()

            def _serve(self):
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0)).decode()
                # `requests` sends GET params as a form body when given as `data`, like payment_stripe does.
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                stub.requests.append({
                    'method': self.command, 'path': url.path, 'params': params,
                    'headers': {k.lower(): v for k, v in self.headers.items()},
                })
                status, answer = stub._answer(self.command, url.path, params)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)
        self.base_url = f'{self.origin}/v1/'

    # ---------------------------------------------------------------------------- seeding

    def seed_customer(self, customer_id, cards=(), default=True):
        """`cards`: (payment method id, brand, last4); the first is the default when `default`."""
        self.customers[customer_id] = cards[0][0] if cards and default else None
        for pm_id, brand, last4 in cards:
            self.cards[pm_id] = (customer_id, brand, last4)

    def requests_to(self, method, path):
        return [r for r in self.requests if r['method'] == method and r['path'] == path]

    # ---------------------------------------------------------------------------- answers

    def _answer(self, method, path, params):
        parts = path.strip('/').split('/')[1:]  # without 'v1'
        if method == 'GET' and parts[0] == 'customers' and len(parts) == 2:
            if parts[1] not in self.customers:
                return self._missing('customer', parts[1])
            return 200, {
                'id': parts[1], 'object': 'customer',
                'invoice_settings': {'default_payment_method': self.customers[parts[1]]},
            }
        if method == 'GET' and parts == ['payment_methods']:
            cards = [pm for pm, card in self.cards.items() if card[0] == params.get('customer')]
            return 200, {'object': 'list', 'data': [self._card(pm) for pm in cards[-1:]], 'has_more': False}
        if method == 'GET' and parts[0] == 'payment_methods' and len(parts) == 2:
            return (200, self._card(parts[1])) if parts[1] in self.cards else self._missing('PaymentMethod', parts[1])
        if method == 'POST' and parts == ['payment_intents']:
            return self._payment_intent(params)
        return 404, {'error': {'type': 'invalid_request_error', 'message': f'Unrecognized request URL ({method}: {path}).'}}

    def _payment_intent(self, params):
        pm_id = params.get('payment_method')
        if pm_id not in self.cards:
            return self._missing('PaymentMethod', pm_id)
        intent = {
            'id': _id('pi'), 'object': 'payment_intent',
            'amount': int(params['amount']), 'currency': params['currency'],
            'customer': params.get('customer'), 'description': params.get('description'),
            'payment_method': self._card(pm_id), 'last_payment_error': None,
            'charges': {'object': 'list', 'data': [], 'has_more': False},
        }
        charge = {'id': _id('ch'), 'object': 'charge', 'amount': intent['amount'], 'payment_intent': intent['id'],
                  'payment_method_details': {'type': 'card', 'card': self._card(pm_id)['card']}}
        if pm_id in self.declining:
            intent['charges']['data'].append({**charge, 'status': 'failed'})
            intent.update(status='requires_payment_method', last_payment_error={**DECLINE, 'charge': charge['id']})
            return 402, {'error': {**DECLINE, 'charge': charge['id'], 'payment_intent': intent}}
        if pm_id in self.needing_action:
            intent.update(status='requires_action', next_action={'type': 'use_stripe_sdk'})
            return 200, intent
        intent['charges']['data'].append({**charge, 'status': 'succeeded'})
        intent.update(status='succeeded', amount_received=intent['amount'])
        return 200, intent

    def _card(self, pm_id):
        customer, brand, last4 = self.cards[pm_id]
        return {'id': pm_id, 'object': 'payment_method', 'type': 'card', 'customer': customer,
                'card': {'brand': brand, 'last4': last4, 'exp_month': 12, 'exp_year': 2030}}

    @staticmethod
    def _missing(kind, object_id):
        return 404, {'error': {'type': 'invalid_request_error', 'code': 'resource_missing',
                               'message': f"No such {kind}: '{object_id}'"}}
