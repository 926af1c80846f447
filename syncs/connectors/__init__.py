"""Clients for the external systems, one package each. No Django models are imported here."""
