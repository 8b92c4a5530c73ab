"""Workflows: one function per thing a person or the system does; no Flask."""
