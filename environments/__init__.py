"""Environments: the products a provider wants deployed, and their state."""
