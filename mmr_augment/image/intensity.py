"""Image families (group intensity); re-exports its ops.

Tone (gamma, contrast, brightness), display mapping (window / level, inversion), vendor tone
curves, smooth bias field and bit-depth quantisation, each in a small private module.
"""

from ._bias_field import BiasField
from ._quantize import Quantize
from ._tone import Brightness, Contrast, Gamma
from ._tone_curve import ToneCurve
from ._window import Invert, WindowLevel

__all__: list[str] = ["Gamma", "Contrast", "Brightness", "WindowLevel", "ToneCurve", "Invert",
                      "BiasField", "Quantize"]
