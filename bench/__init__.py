"""National-scale benchmark of the portal (not a test): `make bench`."""
