"""Deployment of environments: what a definition makes (plan, inputs), what must hold first (prechecks,
network_checks), the steps (actions) and operations that run it, and the one writer of its state (states).
"""
