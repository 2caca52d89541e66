"""Data files shipped with mmr_augment (lexicons, style presets, bitmap font).

Loaded with ``importlib.resources.files("mmr_augment.assets")``.
"""
