// Webhook types the module emits (Lago names, so existing handlers keep working).
export const WEBHOOK_TYPES = [
  'customer.created',
  'customer.updated',
  'subscription.started',
  'subscription.updated',
  'subscription.terminated',
  'subscription.trial_ended',
  'subscription.usage_threshold_reached',
  'invoice.drafted',
  'invoice.created',
  'invoice.payment_status_updated',
  'invoice.payment_failure',
  'invoice.payment_overdue',
  'events.errors',
  'alert.triggered',
] as const;
