"""Image battery cases: intensity ops."""

INTENSITY: dict[str, dict] = {
    "Gamma": dict(gamma=(0.6, 1.6)),
    "Contrast": dict(factor=(0.5, 1.5)),
    "Brightness": dict(factor=(0.6, 1.4)),
    "WindowLevel": dict(width=(0.5, 0.9), shift=(0.0, 0.15)),
    "ToneCurve": dict(kind="sigmoid", slope=(3.0, 12.0), midpoint=(0.4, 0.6)),
    "Invert": dict(strength=(0.6, 1.0)),
    "BiasField": dict(coefficients=(0.1, 0.5)),
    "Quantize": dict(bits=(3, 8)),
}
