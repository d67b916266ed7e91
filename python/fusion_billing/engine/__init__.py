"""Usage engine: SQL aggregation of fusion.billing.usage and rating through the pure core."""
