"""Users, roles and their org units. MFA, lockout and API tokens arrive with issue 3."""
