"""Lago object ids: UUIDs that hold the model and record id of this database (no Odoo)."""

import unittest
import uuid

from fusion_billing.lago.ids import MODEL_NUMBERS, decode, encode, prefix_of

DATABASE_UUID = "5f1c2d3e-4a5b-11ef-9c0d-0242ac120002"
PREFIX = prefix_of(DATABASE_UUID)


class LagoIds(unittest.TestCase):
    def test_an_id_is_a_version_8_rfc_4122_uuid(self):
        text = encode(PREFIX, "sale.order", 42)
        parsed = uuid.UUID(text)
        self.assertEqual(str(parsed), text)
        self.assertEqual(parsed.version, 8)
        self.assertEqual(parsed.variant, uuid.RFC_4122)
        self.assertEqual(text, "5f1c2d3e-4a5b-8003-8000-00000000002a")

    def test_the_text_is_the_uuid_of_the_layout_for_every_model(self):
        for model, number in MODEL_NUMBERS.items():
            for res_id in (1, 42, 65535, 65536, 2**31 - 1, 2**62 - 1):
                value = (PREFIX << 80) | (0x8 << 76) | (number << 64) | (0b10 << 62) | res_id
                self.assertEqual(encode(PREFIX, model, res_id), str(uuid.UUID(int=value)))

    def test_round_trip_for_every_model_and_large_ids(self):
        for model in MODEL_NUMBERS:
            for res_id in (1, 42, 2**31 - 1, 2**62 - 1):
                self.assertEqual(decode(PREFIX, model, encode(PREFIX, model, res_id)), res_id)
                self.assertEqual(decode(PREFIX, model, encode(PREFIX, model, res_id).upper()), res_id)

    def test_ids_of_another_model_or_database_or_malformed_ones_are_nothing(self):
        text = encode(PREFIX, "account.move", 7)
        self.assertIsNone(decode(PREFIX, "sale.order", text))
        self.assertIsNone(decode(prefix_of("00000000-0000-4000-8000-000000000000"), "account.move", text))
        for bad in (None, 7, "", "account.move-7", text[:-1], "{" + text + "}", str(uuid.uuid4()), text.replace("-8000-", "-c000-")):
            self.assertIsNone(decode(PREFIX, "account.move", bad), bad)
        with self.assertRaises(ValueError):
            encode(PREFIX, "account.move", 0)
