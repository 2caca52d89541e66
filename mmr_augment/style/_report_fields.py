"""The fields of a report style: option lists and the categorical spec that draws them.

Numeric fields (``expand``, ``contract``, ``join``, ``strength``) go through
:class:`mmr_augment.params.ParamSpec`; the word-valued ones go through :class:`CategoricalSpec`,
the same idea for strings: one fixed option, or a choice list drawn per sample. Params hold the
index of the drawn option in the field's full option list (:data:`OPTIONS`), so a logged index
means the same thing whatever choice list the style was built with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..errors import ConfigError
from ..params import Choice

#: Every word-valued field and its options; option 0 ("keep") leaves that aspect alone.
OPTIONS: dict[str, tuple[str, ...]] = {
    "headers": ("keep", "upper", "title", "lower", "line", "dash", "none"),
    "header_set": ("keep", "standard", "conclusion", "opinion", "summary"),
    "section_order": ("keep", "findings_first", "impression_first"),
    "numbering": ("keep", "numbered", "plain"),
    "normals": ("keep", "templated", "narrative"),
    "negation": ("keep", "no", "not_seen", "negative_for", "no_evidence", "mixed"),
    "hedging": ("keep", "may", "could", "mixed"),
    "laterality": ("keep", "word", "letter", "sided"),
    "measurement": ("keep", "cm", "mm"),
}
#: Numeric fields: per-unit probabilities in [0, 1].
RATES = ("expand", "contract", "join")
#: Style dimensions, each switched on per sample with probability ``strength``; the order is
#: also the priority when two dimensions want to edit the same characters.
DIMENSIONS = ("layout", "order", "normals", "negation", "join", "hedging", "laterality",
              "measurement", "abbreviation")


@dataclass(frozen=True)
class CategoricalSpec:
    """A validated word-valued field: ``kind`` is ``"fixed"`` or ``"choice"``.

    Example:
        >>> spec = CategoricalSpec.build("measurement", {"choice": ["cm", "mm"]})
        >>> spec.sample(4, torch.Generator().manual_seed(0)).tolist()
        [1, 2, 2, 1]
        >>> spec.to_config()
        {'choice': ['cm', 'mm']}
    """

    name: str
    kind: str
    values: tuple[str, ...]

    @classmethod
    def build(cls, name: str, value: Any) -> CategoricalSpec:
        """Validate ``value``: an option, ``choice(...)``, ``{"choice": [...]}`` or a list.

        Raises:
            ConfigError: for an unknown option or a malformed value, naming the options.
        """
        options = OPTIONS[name]
        if isinstance(value, dict):
            if set(value) != {"choice"}:
                raise ConfigError(f"ReportStyle: {name}: a dict value must be {{'choice': [...]}},"
                                  f" got keys {sorted(value)}")
            value = Choice(value["choice"])
        if isinstance(value, (list, tuple)):
            value = Choice(value)
        kind, values = ("choice", value.values) if isinstance(value, Choice) else ("fixed",
                                                                                  (value,))
        if not values:
            raise ConfigError(f"ReportStyle: {name}: the choice list is empty; options are "
                              f"{list(options)}")
        for v in values:
            if not isinstance(v, str) or v not in options:
                raise ConfigError(f"ReportStyle: {name}={v!r} is not an option; use one of "
                                  f"{list(options)} or a choice list of them")
        return cls(name, kind, tuple(values))

    def sample(self, batch_size: int, generator: torch.Generator) -> torch.Tensor:
        """``(B,)`` int64 indices into ``OPTIONS[name]``."""
        index = torch.tensor([OPTIONS[self.name].index(v) for v in self.values],
                             dtype=torch.int64)
        if self.kind == "fixed":
            return index.expand(batch_size).clone()
        return index[torch.randint(len(self.values), (batch_size,), generator=generator)]

    def to_config(self) -> str | dict[str, list[str]]:
        return self.values[0] if self.kind == "fixed" else {"choice": list(self.values)}


def option(name: str, index: int) -> str:
    """The option a logged index stands for. Example: ``option("numbering", 1) == "numbered"``."""
    return OPTIONS[name][index]
