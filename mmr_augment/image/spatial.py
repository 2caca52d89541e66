"""Image families (group spatial): occlusion, resolution, compression, acquisition, markers.

Each family lives in a small private module; this module re-exports the ops.
"""

from ._acquisition import Collimation, GridLines
from ._jpeg import JPEG
from ._markers import Markers
from ._occlusion import Cutout
from ._resolution import Pixelate, Resample

__all__: list[str] = ["Cutout", "Pixelate", "Resample", "JPEG", "GridLines", "Collimation",
                      "Markers"]
