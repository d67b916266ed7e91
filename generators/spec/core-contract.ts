// Fields the toolchain itself relies on: catalog data records and the static Python write and read
// them. A spec may add fields and models, but not drop these (or Odoo would fail at install time).
export const CORE_CONTRACT: Record<string, string[]> = {
  'fusion.billing.service': ['name', 'code', 'kind', 'currency_id', 'account_id_label', 'account_id_pattern', 'api_key_prefix', 'api_key_hash', 'api_key_created_at', 'unknown_metric', 'unknown_subscription', 'billing_mode', 'cutover_periods', 'invoice_grace_period', 'webhook_endpoint_ids'],
  'fusion.billing.account.link': ['service_id', 'external_id', 'partner_id', 'invoice_grace_period'],
  'fusion.billing.metric': ['service_id', 'name', 'code', 'aggregation_type', 'field_name', 'recurring', 'filters', 'description'],
  'fusion.billing.charge': ['plan_id', 'service_id', 'code', 'metric_id', 'product_id', 'charge_model', 'properties', 'filters', 'invoice_display_name'],
  'fusion.billing.usage': ['service_id', 'metric_id', 'code', 'external_subscription_id', 'order_id', 'transaction_id', 'timestamp', 'properties', 'late'],
  'fusion.billing.webhook.endpoint': ['service_id', 'code', 'url', 'event_types', 'signature_algorithm', 'secret', 'secret_rotated_at'],
  'fusion.billing.signing.key': ['name', 'issuer', 'private_key', 'public_key', 'rotated_at', 'active'],
  'fusion.billing.webhook': ['endpoint_id', 'webhook_type', 'object_type', 'object_key', 'unique_key', 'payload', 'state', 'attempt_count', 'next_attempt_at', 'last_status_code', 'last_error', 'delivered_at'],
  'fusion.billing.webhook.attempt': ['webhook_id', 'attempted_at', 'status_code', 'latency_ms', 'error', 'response_excerpt'],
  'fusion.billing.reconciliation': ['service_id', 'external_subscription_id', 'metric_id', 'period_start', 'period_end'],
  'sale.order.template': ['fusion_plan_code', 'fusion_service_id', 'fusion_interval', 'fusion_currency_id', 'fusion_amount', 'fusion_charge_ids', 'fusion_pay_in_advance', 'fusion_bill_charges_monthly', 'fusion_trial_period', 'fusion_minimum_commitment', 'fusion_commitment_display_name', 'fusion_usage_thresholds'],
  'sale.order': ['fusion_external_id', 'fusion_service_id', 'fusion_status', 'fusion_started_at', 'fusion_billing_time', 'fusion_ending_at', 'fusion_terminated_at', 'fusion_closed_until', 'fusion_fees_until', 'fusion_subscription_at', 'fusion_trial_ended_at', 'fusion_previous_order_id', 'fusion_next_plan_id', 'fusion_next_plan_at', 'fusion_progressive_billing_disabled', 'fusion_historical_usage_cents'],
  'sale.order.line': ['fusion_charge_id', 'fusion_period_start', 'fusion_period_end', 'fusion_units', 'fusion_events_count', 'fusion_in_advance', 'fusion_filter', 'fusion_true_up', 'fusion_progressive_seq', 'fusion_deduction'],
  'account.move': ['fusion_overdue_notified', 'fusion_grace_until', 'fusion_applied_thresholds'],
};

/** Odoo models a spec may extend, with the columns of theirs that its constraints may use. */
export const EXTENDABLE_MODELS: Record<string, string[]> = {
  'sale.order.template': ['name', 'company_id'],
  'sale.order': ['name', 'partner_id', 'company_id', 'state'],
  'sale.order.line': ['order_id', 'product_id', 'company_id', 'name'],
  'account.move': ['partner_id', 'company_id', 'move_type', 'state'],
};
