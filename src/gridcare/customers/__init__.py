"""Customers, contacts, accounts (户号), account managers and the contact log."""
