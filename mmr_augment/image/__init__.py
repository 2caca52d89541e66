"""Image perturbation families, one small file per family group."""

from .base import ImagePerturbation, check_image, per_sample, to_float_image
from .noise import GaussianNoise

__all__ = ["ImagePerturbation", "check_image", "per_sample", "to_float_image", "GaussianNoise"]
