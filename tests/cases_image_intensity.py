"""Image battery cases: intensity ops."""

INTENSITY: dict[str, dict] = {}
