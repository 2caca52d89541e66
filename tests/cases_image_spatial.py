"""Image battery cases: spatial ops."""

SPATIAL: dict[str, dict] = {}
