"""Synthetic paired chest-radiograph phantoms with known findings and matching reports.

The default data of the demo, the tests and the evaluation (no real paired data can be
downloaded here). Phantoms have a body outline, lungs, mediastinum and heart, diaphragm domes
and costophrenic angles, ribs, clavicles and soft tissue, with per-study anatomical variation;
findings (cardiomegaly, pleural effusion, pneumothorax, nodule / mass, consolidation, support
devices) change the anatomy the way they look on film, and each study gets a report written
from its findings. Sides are the patient's: on these PA images the patient's right is on the
viewer's left.

- :func:`generate`: a batch of studies (stacked images, reports, labels) rendered together.
- :class:`SyntheticCXR`: a torch ``Dataset`` over studies and domains (scanner x report style).
- :func:`write`: images plus ``manifest.csv`` on disk (format in :mod:`.write`).

Example:
    >>> from mmr_augment.synthetic import OBSERVATIONS, generate
    >>> batch = generate(2, size=64, seed=0)
    >>> batch.images.shape, OBSERVATIONS[0]
    (torch.Size([2, 1, 64, 64]), 'No Finding')
"""

from .dataset import SyntheticBatch, SyntheticCXR, generate, render_studies
from .domains import Domain
from .findings import FOV_CM, LOBES, OBSERVATIONS, PATHOLOGIES, pixel_spacing_cm
from .write import write

__all__ = [
    "FOV_CM", "LOBES", "OBSERVATIONS", "PATHOLOGIES", "Domain", "SyntheticBatch",
    "SyntheticCXR", "generate", "pixel_spacing_cm", "render_studies", "write",
]
