"""Lago wire-format helpers shared by the API controllers and the models."""
