"""Keeps what is stored from each event's properties (its units, events.errors flags; see
engine/event_values.py) true to its properties and its metric. The API's INSERT computes these
columns itself; rows written through the ORM, and every event of a metric whose definition
changes, are brought up to date here with one UPDATE."""

from odoo import api, models

from ..engine.event_values import derived_columns

_DERIVED = derived_columns('stored.properties', 'stored."timestamp"')
# What the derived columns are computed from.
_SOURCES = {'fusion.billing.usage': ['properties', 'metric_id', 'timestamp'], 'fusion.billing.metric': ['aggregation_type', 'field_name', 'filters']}


def _update_sql(columns, condition):
    return f"""
UPDATE fusion_billing_usage stored
   SET {', '.join(f'{column} = {_DERIVED[column]}' for column in columns)}
  FROM fusion_billing_metric metric
 WHERE metric.id = stored.metric_id AND {condition}
"""


# Recomputes the events whose id, or metric, is in a list.
_UPDATE_BY = {column: _update_sql(_DERIVED, f'stored.{column} = ANY(%s)') for column in ('id', 'metric_id')}
# Events stored before their units were (an upgrade from an earlier version of the module).
_BACKFILL = _update_sql(['value', 'moment'], f"stored.value IS NULL AND ({_DERIVED['value']}) IS NOT NULL")


class FusionBillingUsage(models.Model):
    _inherit = 'fusion.billing.usage'

    def init(self):
        # Runs on install and on every upgrade: a no-op once every event has its units.
        super().init()
        self.env.cr.execute(_BACKFILL)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self._fusion_derive('id', records.ids)
        return records

    def write(self, vals):
        result = super().write(vals)
        if set(_SOURCES['fusion.billing.usage']) & vals.keys():
            self._fusion_derive('id', self.ids)
        return result

    @api.model
    def _fusion_derive(self, column, ids):
        """Recompute the derived columns of the events whose `column` (id or metric_id) is in `ids`."""
        if not ids:
            return
        for model, fields in _SOURCES.items():
            self.env[model].flush_model(fields)
        self.env.cr.execute(_UPDATE_BY[column], [list(ids)])
        self.invalidate_model(list(_DERIVED))


class FusionBillingMetric(models.Model):
    _inherit = 'fusion.billing.metric'

    @api.model_create_multi
    def create(self, vals_list):
        metrics = super().create(vals_list)
        metrics._fusion_adopt_unknown_events()
        return metrics

    def _fusion_adopt_unknown_events(self):
        """Events accepted while their code named no metric (the service accepts unknown
        metrics, as Lago does) count for the metric that now has that code."""
        self.flush_recordset(['service_id', 'code'])
        self.env['fusion.billing.usage'].flush_model(['metric_id', 'code'])
        self.env.cr.execute(
            """UPDATE fusion_billing_usage stored SET metric_id = metric.id, code = NULL
                 FROM fusion_billing_metric metric
                WHERE metric.id = ANY(%s) AND stored.service_id = metric.service_id
                  AND stored.metric_id IS NULL AND stored.code = metric.code
            RETURNING stored.id""",
            [self.ids],
        )
        adopted = [row[0] for row in self.env.cr.fetchall()]
        self.env['fusion.billing.usage'].invalidate_model(['metric_id', 'code'])
        self.env['fusion.billing.usage']._fusion_derive('id', adopted)

    def write(self, vals):
        result = super().write(vals)
        if set(_SOURCES['fusion.billing.metric']) & vals.keys():
            # Every stored event of the metric: rating reads their stored units.
            self.env['fusion.billing.usage']._fusion_derive('metric_id', self.ids)
        return result
