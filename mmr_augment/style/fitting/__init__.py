"""Fitting a site's scanner style from its films: statistics, estimators and the search.

Example:
    >>> from mmr_augment.style.fitting import FITTED
    >>> FITTED[:3]
    ('bit_depth', 'jpeg', 'collimation')
"""

from .family import film_quantiles, fit_style_family
from .fit import FITTED, StyleFit, fit_scanner_style
from .statistics import FilmStatistics, film_statistics, statistics_distance

__all__ = ["FITTED", "FilmStatistics", "StyleFit", "film_quantiles", "film_statistics",
           "fit_scanner_style", "fit_style_family", "statistics_distance"]
