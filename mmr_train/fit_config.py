"""Deprecated alias of :mod:`mmr_train.config` (kept for one release; import from there).

The fit config and the model config now live in one module with one validator, and
:class:`~mmr_train.config.FitConfig` is flat: ``cfg.model.image_size`` instead of
``cfg.model.model.image_size``, ``cfg.loss`` instead of ``cfg.model.loss``.

Example:
    >>> from mmr_train.fit_config import load_fit_config
    >>> from mmr_train import config
    >>> load_fit_config is config.load_fit_config
    True
"""

from __future__ import annotations

import warnings

from .config import (
    PRECISIONS,
    RESUMABLE_CHANGES,
    SECOND_VIEWS,
    DataSettings,
    FitConfig,
    TrainSettings,
    ViewSettings,
    check_resumable,
    fit_config_from_dict,
    load_fit_config,
)

__all__ = ["PRECISIONS", "RESUMABLE_CHANGES", "SECOND_VIEWS", "DataSettings", "FitConfig",
           "TrainSettings", "ViewSettings", "check_resumable", "fit_config_from_dict",
           "load_fit_config"]

warnings.warn("mmr_train.fit_config is deprecated; import from mmr_train.config",
              DeprecationWarning, stacklevel=2)
