"""Local stand-ins for gateways the project cannot reach from a test machine (the SMSC)."""
