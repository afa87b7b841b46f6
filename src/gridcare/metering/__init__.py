"""Metering points, meters as assets, register reads and interval reads."""
