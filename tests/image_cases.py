"""Parameter table for the registry-driven image battery.

Every registered image op must appear here (tests/image/test_image_contract.py fails otherwise).
Each entry: constructor kwargs giving a random (per-sample varying) op. Ops with a severity
table are also run at severities 1..5. Each family group has its own file so parallel work on
different families does not collide.
"""

from cases_image_artefacts import ARTEFACTS
from cases_image_intensity import INTENSITY
from cases_image_noise_blur import NOISE_BLUR
from cases_image_style import STYLE

from mmr_augment import GaussianNoise

CORE = {
    "GaussianNoise": dict(std=(0.02, 0.2)),
    "Sequential": dict(ops=[GaussianNoise(std=(0.02, 0.1)), GaussianNoise(std=(0.01, 0.05))]),
    "OneOf": dict(ops=[GaussianNoise(std=0.05), GaussianNoise(std=0.2)]),
    "SomeOf": dict(ops=[GaussianNoise(std=0.05), GaussianNoise(std=0.1),
                        GaussianNoise(std=0.2)], n=(1, 2)),
}

ALL: dict[str, dict] = {**CORE, **NOISE_BLUR, **INTENSITY, **ARTEFACTS, **STYLE}
