"""Persistence: the storage contract (ports) and its SQL implementation."""
