"""Image battery cases: noise_blur ops."""

NOISE_BLUR: dict[str, dict] = {}
