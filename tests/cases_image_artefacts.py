"""Image battery cases: artefact ops (occlusion, resolution, compression, acquisition, markers)."""

from mmr_augment import choice

ARTEFACTS: dict[str, dict] = {
    "Cutout": dict(holes=(1, 4), area=(0.02, 0.1), aspect=(0.5, 2.0), fill=(0.0, 0.2)),
    "Pixelate": dict(scale=(0.1, 0.5)),
    "Resample": dict(scale=(0.2, 0.7), down=["area", "bilinear", "bicubic"]),
    "JPEG": dict(quality=(5, 60)),
    "GridLines": dict(frequency=(6.0, 14.0), angle=(0.0, 180.0), contrast=(0.05, 0.3),
                      sharpness=choice(1, 4)),
    "Collimation": dict(margin=(0.03, 0.2), angle=(-10.0, 10.0), fill=(0.0, 0.1),
                        opacity=(0.8, 1.0), softness=choice(0.0, 2.0)),
    "Markers": dict(texts=["L", "R", "AP", "PORTABLE"], scale=(1.0, 2.5), value=(0.96, 1.0)),
    "CaptionBand": dict(height=(0.05, 0.3), level=(0.0, 0.1), text_value=(0.2, 0.4),
                        texts=["SOURCE : J DOE", "W 2048 L 1024"]),
}
