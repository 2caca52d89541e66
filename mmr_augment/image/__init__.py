"""Image perturbation families, one small file per family group."""

from .base import ImagePerturbation, check_image, per_sample, to_float_image
from .noise import GaussianNoise, ImpulseNoise, PoissonNoise, SpeckleNoise

__all__ = ["ImagePerturbation", "check_image", "per_sample", "to_float_image", "GaussianNoise",
           "ImpulseNoise", "PoissonNoise", "SpeckleNoise"]

# Family groups register themselves on import; each module defines __all__.
from . import blur, intensity, spatial  # noqa: E402
from .blur import *  # noqa: E402,F403
from .intensity import *  # noqa: E402,F403
from .spatial import *  # noqa: E402,F403

__all__ += blur.__all__ + intensity.__all__ + spatial.__all__
