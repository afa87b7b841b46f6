"""Pure building blocks shared by every app: money, periods, clock, calendar, ids, errors.

Nothing in ``kit`` imports Django or touches a database (import-linter enforces it).
"""
