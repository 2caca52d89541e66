"""Image battery cases: noise_blur ops."""

from mmr_augment import choice

NOISE_BLUR: dict[str, dict] = {
    "PoissonNoise": dict(photons=(5.0, 60.0), read_std=(0.0, 0.02)),
    "SpeckleNoise": dict(std=(0.05, 0.4)),
    "ImpulseNoise": dict(amount=(0.01, 0.15), salt_ratio=(0.3, 0.7)),
    "GaussianBlur": dict(kernel_size=choice(3, 5, 7, 9), sigma=(0.5, 2.0)),
    "MotionBlur": dict(kernel_size=(3, 11), angle=(0.0, 360.0), direction=(-1.0, 1.0)),
    "DefocusBlur": dict(radius=(0.5, 3.0)),
    "Sharpen": dict(amount=(0.5, 3.0), sigma=(0.5, 2.0)),
}
