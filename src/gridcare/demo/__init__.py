"""The demo utility: deterministic seeding of a province's customers, meters and reads."""
