"""Robust-MMR model: MONAI-ViT image encoder, report encoder, co-attention fusion and heads.

Public API: :class:`RobustMMR` (``forward`` -> loss dict, ``embed`` -> :class:`Embeddings`),
:class:`ModelInputs` and :func:`prepare_inputs` (``PerturbedBatch`` -> masked model inputs).
"""

from .inputs import ModelInputs, prepare_inputs
from .robust_mmr import Embeddings, RobustMMR

__all__ = ["Embeddings", "ModelInputs", "RobustMMR", "prepare_inputs"]
