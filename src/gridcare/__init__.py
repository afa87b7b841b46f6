"""GridCare: an open-source electricity marketing system (电力营销系统)."""
