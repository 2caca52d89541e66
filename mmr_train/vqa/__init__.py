"""Medical VQA fine-tuning and evaluation (VQA-RAD, SLAKE): the M3AE protocol on Robust-MMR.

:func:`finetune_vqa` trains an answer classifier on the fused embedding of any ``mmr-train
fit`` run (or a from-scratch model, the floor); :func:`evaluate_vqa` scores it clean, under
every perturbation family and severity, under a user policy, and across datasets;
``mmr-train vqa fit|eval`` is the command line. The workflow is in ``docs/vqa.md``.
"""

from .config import VQAConfig, load_vqa_config, vqa_config_from_dict
from .finetune import finetune_vqa
from .model import AnswerHead, VQAModel, load_vqa_run
from .scoring import AnswerVocab, score
from .toy import toy_vqa_rows

__all__ = ["AnswerHead", "AnswerVocab", "VQAConfig", "VQAModel", "finetune_vqa",
           "load_vqa_config", "load_vqa_run", "score", "toy_vqa_rows", "vqa_config_from_dict"]
