"""Image battery cases: domain-style simulators (a family of scanner styles, drawn per sample;
a style family, one member drawn per sample)."""

from mmr_augment import choice

STYLE: dict[str, dict] = {
    "ScannerStyle": dict(
        detector=dict(gain=(0.85, 1.05), offset=(0.0, 0.05), gamma=(0.9, 1.1)),
        noise=dict(photons=(200.0, 2000.0), read_std=0.004, beta=(0.0, 1.0),
                   correlation=(0.0, 1.5)),
        mtf=dict(sigma=(0.3, 1.2)), edge=dict(amount=(0.3, 1.2), sigma=(1.0, 2.5)),
        tone=dict(kind="sigmoid", slope=(3.0, 9.0), midpoint=(0.45, 0.55)),
        window=dict(center=0.5, width=(0.9, 1.1)),
        grid=dict(frequency=(8.0, 14.0), contrast=(0.03, 0.1), p=0.5),
        bit_depth=dict(bits=choice(8, 10, 12)),
        collimation=dict(margin=(0.02, 0.1), p=0.5),
        markers=dict(texts=["L", "R"], scale=1.0, p=0.5),
        jpeg=dict(quality=(40, 90), p=0.5), resolution=dict(scale=(0.6, 0.9), p=0.5),
        invert=dict(p=0.1)),
    "StyleFamily": dict(
        members=[{"style": dict(noise=dict(photons=(200.0, 2000.0)), mtf=dict(sigma=(0.3, 1.2)),
                                collimation=dict(margin=(0.02, 0.1), p=0.5)),
                  "quantiles": [0.0, 0.2, 0.5, 0.9], "weight": 2.0},
                 {"style": dict(tone=dict(kind="sigmoid", slope=(3.0, 9.0)),
                                resolution=dict(scale=(0.6, 0.9))),
                  "quantiles": [0.1, 0.4, 0.6, 1.0]}],
        match=0.5),
}
