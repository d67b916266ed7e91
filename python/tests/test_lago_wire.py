"""Lago wire format without Odoo: exact JSON numbers and event validation."""

import unittest
from datetime import datetime
from decimal import Decimal

from fusion_billing.lago import jsonio
from fusion_billing.lago.events import MAX_PROPERTIES_DEPTH, parse_event

NOW = datetime(2026, 1, 1, 12, 0, 0, 5000)
METRICS = {'api_requests': 7}


def raw(**fields):
    return {'transaction_id': 'tx', 'external_subscription_id': 'sub', 'code': 'api_requests', **fields}


class JsonNumbers(unittest.TestCase):
    def test_numbers_round_trip_digit_for_digit(self):
        text = '{"a":0.1,"b":12345678901234567890.123456789,"c":3,"d":-1E+2,"e":[true,null,"é"]}'
        value = jsonio.loads(text.encode())
        self.assertEqual(value['a'], Decimal('0.1'))
        self.assertEqual(value['c'], 3)
        self.assertEqual(jsonio.dumps(value), text)

    def test_invalid_documents(self):
        for data in (b'{', b'NaN', b'{"a": Infinity}', b'\xff', b'[' * 100000):
            with self.subTest(data=data[:10]), self.assertRaises(jsonio.JsonSyntaxError):
                jsonio.loads(data)

    def test_strings_are_never_taken_for_numbers(self):
        value = {'s': '\x000', 'n': Decimal('2.50'), 'list': ['\x001', Decimal('-0.000')], 'float': 0.5}
        self.assertEqual(jsonio.dumps(value), '{"s":"\\u00000","n":2.50,"list":["\\u00001",-0.000],"float":0.5}')

    def test_unknown_types_are_refused(self):
        with self.assertRaises(TypeError):
            jsonio.dumps({'x': object()})

    def test_non_finite_decimal_is_not_written(self):
        with self.assertRaises(ValueError):
            jsonio.dumps({'x': Decimal('NaN')})


class EventValidation(unittest.TestCase):
    def parse(self, **fields):
        return parse_event(raw(**fields), METRICS, NOW)

    def test_valid_event(self):
        event, errors = self.parse(timestamp='1651240791.1239', properties={'gb': Decimal('1.5')})
        self.assertIsNone(errors)
        self.assertEqual(event.metric_id, 7)
        self.assertEqual(event.timestamp, datetime(2022, 4, 29, 13, 59, 51, 123000))
        self.assertTrue(event.timestamp_given)
        self.assertEqual(event.key, ('sub', 'tx'))

    def test_defaults(self):
        event, errors = self.parse()
        self.assertIsNone(errors)
        self.assertEqual((event.timestamp, event.timestamp_given, event.properties), (NOW, False, {}))

    def test_numeric_ids_become_text(self):
        event, _errors = parse_event({'transaction_id': 42, 'external_subscription_id': 7, 'code': 'api_requests'},
                                     METRICS, NOW)
        self.assertEqual(event.key, ('7', '42'))

    def test_timestamps(self):
        for value, expected in ((0, datetime(1970, 1, 1)), (Decimal('1.0005'), datetime(1970, 1, 1, 0, 0, 1)),
                                (' 60 ', datetime(1970, 1, 1, 0, 1))):
            with self.subTest(value=value):
                self.assertEqual(self.parse(timestamp=value)[0].timestamp, expected)
        for value in ('soon', '-1', -1, True, '1e9', [1], {'s': 1}, Decimal('1E+20'), '1.'):
            with self.subTest(value=value):
                self.assertEqual(self.parse(timestamp=value)[1], {'timestamp': ['invalid_format']})

    def test_field_errors(self):
        self.assertEqual(parse_event({}, METRICS, NOW)[1], {
            'transaction_id': ['value_is_mandatory'], 'external_subscription_id': ['value_is_mandatory'],
            'code': ['value_is_mandatory']})
        self.assertEqual(self.parse(code='other')[1], {'code': ['metric_not_found']})
        self.assertEqual(self.parse(transaction_id='  ')[1], {'transaction_id': ['value_is_mandatory']})
        self.assertEqual(self.parse(transaction_id=['tx'])[1], {'transaction_id': ['invalid_format']})
        self.assertEqual(self.parse(properties=[1])[1], {'properties': ['invalid_format']})
        self.assertEqual(parse_event('tx', METRICS, NOW), (None, {'event': ['invalid_format']}))

    def test_properties_nesting_is_bounded(self):
        deep = current = {}
        for _ in range(MAX_PROPERTIES_DEPTH + 1):
            current['x'] = {}
            current = current['x']
        self.assertEqual(self.parse(properties=deep)[1], {'properties': ['invalid_format']})
        self.assertIsNone(self.parse(properties={'a': {'b': [1, {'c': 2}]}})[1])

    def test_exact_resend(self):
        event, _errors = self.parse(timestamp=100, properties={'n': 1})
        self.assertTrue(event.same_as('api_requests', datetime(1970, 1, 1, 0, 1, 40), {'n': Decimal('1.0')}))
        self.assertFalse(event.same_as('api_requests', datetime(1970, 1, 1, 0, 1, 41), {'n': 1}))
        self.assertFalse(event.same_as('other', datetime(1970, 1, 1, 0, 1, 40), {'n': 1}))
        untimed, _errors = self.parse(properties={'n': 1})
        self.assertTrue(untimed.same_as('api_requests', datetime(2020, 1, 1), {'n': 1}))


if __name__ == '__main__':
    unittest.main()
