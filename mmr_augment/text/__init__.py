"""Placeholder package; filled in by later work."""
