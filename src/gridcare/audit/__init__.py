"""The audit log: one row per state change, written in the same transaction as the change."""
