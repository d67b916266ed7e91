"""The SQL aggregation agrees with the pure reference (Lago's semantics) on the same events."""

import random
from datetime import timedelta, timezone
from decimal import Decimal

from odoo.tests import tagged

from ..engine.sql_aggregation import aggregate_orders
from ..rating.aggregation import aggregate
from .engine_common import EngineCase, dt

START, END = dt(2026, 3, 1), dt(2026, 4, 1)


def _epoch(moment):
    return moment.replace(tzinfo=timezone.utc)


@tagged('post_install', '-at_install')
class TestSqlAggregation(EngineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = random.Random(20261124)
        # fa_devices (latest) belongs to another service and reads `devices`: any metric row works
        # for SQL once it reads the property these events carry.
        # A spec change as the module's data loading would write it (spec records refuse other writers).
        cls.env.ref('fusion_billing.metric_fa_devices').with_context(fusion_spec_load=True).field_name = 'gb'
        cls.orders = [cls.subscribe(f'agg-{i}', dt(2026, 1, 1)) for i in range(3)]
        cls.events = {}
        for order in cls.orders:
            events = []
            for _ in range(40):
                # Events before, inside and after March, some at the exact bounds, some non-numeric.
                moment = rng.choice([START, END, START - timedelta(seconds=1)]) if rng.random() < 0.1 else \
                    START + timedelta(seconds=rng.randint(-10 * 86400, 40 * 86400), microseconds=rng.randint(0, 999999))
                value = rng.choice(['1', '2.5', '-3', '10', '0.125', 'n/a', 7, -1])
                properties = {
                    'gb': value, 'vcpus': value, 'agent_id': rng.choice(['a', 'b', 'c', 'd']),
                    'region': rng.choice(['ca-central', 'us-east']),
                }
                if rng.random() < 0.3:
                    properties['operation_type'] = 'remove'
                events.append((moment, properties))
            cls.events[order.id] = events
            for code in ('nc_api_requests', 'nc_egress_gb', 'nc_peak_vcpu', 'nc_storage_gb'):
                cls.add_events(order, code, events)
            cls.add_events(order, 'fa_devices', events)
            cls.add_events(order, 'nd_agents', events)

    def reference(self, order, aggregation, field_name=None, recurring=False, filters=None):
        events = [
            {'timestamp': _epoch(moment), 'properties': {k: (str(v) if isinstance(v, int) else v) for k, v in props.items()}}
            for moment, props in self.events[order.id]
        ]
        # Half-open [START, END) is Lago's inclusive [START, END - 1 µs].
        weighted = aggregation == 'weighted_sum'
        return aggregate(aggregation, events, from_ts=_epoch(START), to_ts=_epoch(END) - timedelta(microseconds=1),
                         field_name=field_name, recurring=recurring, filters=filters,
                         charges_duration_days=31 if weighted else None,
                         # The engine divides the exact value-seconds once (see aggregate_one_pass).
                         weighted_sum_division='exact' if weighted else 'lago')

    def sql(self, metric_code, aggregation, field_name=None, recurring=False, filters=None, with_event_values=False):
        metric = self.env.ref(f'fusion_billing.metric_{metric_code}')
        self.env.flush_all()
        return aggregate_orders(
            self.env.cr, metric_id=metric.id, aggregation_type=aggregation, field_name=field_name, recurring=recurring,
            order_ids=[o.id for o in self.orders], start=START, end=END, full_seconds=31 * 86400, filters=filters,
            with_event_values=with_event_values)

    def assert_agree(self, metric_code, aggregation, field_name=None, recurring=False, filters=None, values=False):
        results = self.sql(metric_code, aggregation, field_name, recurring, filters, values)
        for order in self.orders:
            expected = self.reference(order, aggregation, field_name, recurring, filters)
            got = results[order.id]
            with self.subTest(aggregation=aggregation, recurring=recurring, order=order.fusion_external_id):
                self.assertEqual(got.units, expected.units)
                self.assertEqual(got.events_count, expected.events_count)
                if values:
                    self.assertEqual(got.event_values, expected.event_values)
                if aggregation == 'weighted_sum':
                    self.assertEqual(got.total_aggregated_units, expected.total_aggregated_units)

    def test_count_with_and_without_filters(self):
        self.assert_agree('nc_api_requests', 'count', values=True)
        self.assert_agree('nc_api_requests', 'count', filters={'region': ['ca-central']})

    def test_sum_plain_and_recurring_with_event_values(self):
        self.assert_agree('nc_egress_gb', 'sum', 'gb', values=True)
        self.assert_agree('nc_egress_gb', 'sum', 'gb', recurring=True, values=True)

    def test_max(self):
        self.assert_agree('nc_peak_vcpu', 'max', 'vcpus', values=True)

    def test_latest_clamped_at_zero(self):
        self.assert_agree('fa_devices', 'latest', 'gb')

    def test_unique_count_with_removals(self):
        self.assert_agree('nd_agents', 'unique_count', 'agent_id')
        self.assert_agree('nd_agents', 'unique_count', 'agent_id', recurring=True)

    def test_weighted_sum_plain_and_recurring(self):
        self.assert_agree('nc_storage_gb', 'weighted_sum', 'gb')
        self.assert_agree('nc_storage_gb', 'weighted_sum', 'gb', recurring=True)

    def test_lago_weighted_sum_docs_example(self):
        """20 GB for one day, then +10 GB for the next 15 days of a 31-day month: 15.1612903226 GB-month."""
        order = self.subscribe('agg-docs', dt(2026, 1, 1))
        self.add_events(order, 'nc_storage_gb', [(dt(2026, 3, 1), {'gb': '20'}), (dt(2026, 3, 2), {'gb': '10'}), (dt(2026, 3, 17), {'gb': '-30'})])
        metric = self.env.ref('fusion_billing.metric_nc_storage_gb')
        self.env.flush_all()
        result = aggregate_orders(self.env.cr, metric_id=metric.id, aggregation_type='weighted_sum', field_name='gb',
                                  recurring=False, order_ids=[order.id], start=START, end=END)[order.id]
        self.assertEqual(round(result.units, 10), Decimal('15.1612903226'))

    def test_stored_units_follow_the_event_and_its_metric(self):
        order = self.subscribe('agg-derive', dt(2026, 1, 1))
        [usage] = self.add_events(order, 'nc_egress_gb', [(dt(2026, 3, 5), {'gb': '5', 'tb': '2', 'note': 'x'})])
        # The metric changes as an upgrade after a spec change writes it.
        metric = usage.metric_id.with_context(fusion_spec_load=True)

        def units():
            self.env.flush_all()
            return aggregate_orders(self.env.cr, metric_id=metric.id, aggregation_type=metric.aggregation_type, field_name=None,
                                    recurring=False, order_ids=[order.id], start=START, end=END)[order.id].units

        self.assertEqual((units(), usage.value, usage.missing_property), (Decimal('5'), 5.0, False))
        usage.properties = {'gb': '7.25'}
        self.assertEqual(units(), Decimal('7.25'))
        metric.field_name = 'note'  # not a number: the event adds nothing and is reported missing
        self.assertEqual((units(), usage.missing_property), (Decimal('0'), True))
        metric.field_name = 'gb'
        self.assertEqual((units(), usage.missing_property), (Decimal('7.25'), False))
        # Events stored before units were (an upgrade) get them when the module is upgraded.
        self.env.cr.execute('UPDATE fusion_billing_usage SET value = NULL WHERE id = %s', [usage.id])
        self.assertEqual(units(), Decimal('0'))
        self.env['fusion.billing.usage'].init()
        self.assertEqual(units(), Decimal('7.25'))

    def test_orders_without_events_get_zero(self):
        order = self.subscribe('agg-empty', dt(2026, 1, 1))
        result = aggregate_orders(self.env.cr, metric_id=self.env.ref('fusion_billing.metric_nc_egress_gb').id,
                                  aggregation_type='sum', field_name='gb', recurring=False, order_ids=[order.id], start=START, end=END)
        self.assertEqual((result[order.id].units, result[order.id].events_count), (Decimal(0), 0))
