"""Smooth multiplicative bias field (uneven exposure / heel effect / detector gain drift)."""

from __future__ import annotations

import torch

from ..core import Params
from ..errors import ConfigError, InputError
from .base import ImagePerturbation


def polynomial_terms(order: int) -> list[tuple[int, int]]:
    """Exponents ``(i, j)`` of the monomials ``x**i * y**j`` with ``i + j <= order``.

    Example:
        >>> polynomial_terms(1)
        [(0, 0), (0, 1), (1, 0)]
    """
    return [(i, j) for i in range(order + 1) for j in range(order + 1 - i)]


def bias_field(coefficients: torch.Tensor, order: int, height: int, width: int,
               device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """``(B, 1, H, W)`` field ``exp(sum_ij c_ij x**i y**j)`` on ``[-1, 1]**2`` (TorchIO's form).

    ``coefficients`` is ``(B, T)`` in the order of :func:`polynomial_terms`. The sum runs as a
    broadcast over the ``T`` monomials, so each sample's field does not depend on the batch.

    Example:
        >>> c = torch.zeros(1, 3); c[0, 0] = 0.5
        >>> f = bias_field(c, 1, 2, 2, torch.device("cpu"), torch.float32)
        >>> torch.allclose(f, torch.full((1, 1, 2, 2), 0.5).exp())
        True
    """
    yy, xx = torch.meshgrid(torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype),
                            torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype),
                            indexing="ij")
    monomials = torch.stack([xx**i * yy**j for i, j in polynomial_terms(order)])
    c = coefficients.to(device=device, dtype=dtype)[:, :, None, None]
    return (c * monomials).sum(dim=1, keepdim=True).exp()


def scale_odds(x: torch.Tensor, field: torch.Tensor) -> torch.Tensor:
    """``x`` in ``[0, 1]`` with its odds ``x / (1 - x)`` multiplied by ``field``: 0 and 1 stay.

    Example:
        >>> scale_odds(torch.tensor([0.0, 0.5, 0.8, 1.0]), torch.tensor(3.0))
        tensor([0.0000, 0.7500, 0.9231, 1.0000])
    """
    x = x.clamp(0.0, 1.0)
    scaled = x * field
    return torch.where(x >= 1.0, x, scaled / (scaled + (1.0 - x)))


class BiasField(ImagePerturbation):
    """Smooth field ``exp(P(x, y))``, ``P`` a random polynomial, multiplying each pixel's odds.

    As TorchIO's ``RandomBiasField``: each coefficient of a degree-``order`` polynomial over
    ``[-1, 1]**2`` is drawn uniformly from ``(-c, c)``, with ``c = coefficients`` (itself drawn
    per sample when a range). Params are the ``(B, T)`` coefficients, ``T = (order+1)(order+2)/2``
    (10 at order 3: 80 bytes per sample). The field multiplies the odds ``x / (1 - x)``
    (:func:`scale_odds`), not ``x`` as in MRI: on dark pixels that is the same (odds ~ ``x``),
    but a radiograph's grey value is bounded, and ``x * field`` pushed a third of a bright CR
    film to white at ``c = 0.5`` (up to three quarters for one field). On the odds, 0 and 1
    stay, no pixel is clipped (values only approach 0 and 1), and the log-odds contrast between
    neighbouring tissues is kept.

    Severity (ImageNet-C has no bias field; defined here as the field strength ``c``, with
    TorchIO's default 0.5 as the strongest): ``coefficients`` .1 .2 .3 .4 .5.

    Args:
        coefficients: largest absolute coefficient, in ``[0, 2]``.
        order: polynomial degree (an int 1..5, not sampled).
        p: probability that a sample is changed.
        severity: 1..5 for the fixed evaluation strengths above.
        value_range: the images' value range.

    Example:
        >>> op = BiasField(coefficients=0.3)
        >>> params = op.sample(2, torch.Generator().manual_seed(0))
        >>> params["coefficients"].shape
        torch.Size([2, 10])
        >>> op.apply(torch.zeros(2, 1, 8, 8), params).abs().max().item()
        0.0
    """

    family = "bias_field"
    severity_table = {"coefficients": (0.1, 0.2, 0.3, 0.4, 0.5)}

    def __init__(self, coefficients=(0.1, 0.5), order: int = 3, *, p: float = 1.0,
                 severity: int | None = None, value_range=(0.0, 1.0)) -> None:
        super().__init__(p=p, severity=severity, value_range=value_range)
        if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= 5:
            raise ConfigError(f"BiasField: order must be an int in 1..5, got {order!r}")
        self.order = order
        self.coefficients = self.spec("coefficients", coefficients, low=0.0, high=2.0)

    def _sample(self, batch_size: int, generator: torch.Generator) -> Params:
        strength = self.coefficients.sample(batch_size, generator)
        n_terms = len(polynomial_terms(self.order))
        u = torch.rand(batch_size, n_terms, generator=generator, dtype=torch.float64)
        return {"coefficients": strength[:, None] * (2.0 * u - 1.0)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        h, w = x.shape[-2:]
        coefficients = params["coefficients"]
        if coefficients.shape[1] != len(polynomial_terms(self.order)):
            raise InputError(f"BiasField: params hold {coefficients.shape[1]} coefficients, "
                              f"order={self.order} needs {len(polynomial_terms(self.order))}; "
                              f"sample them with this op")
        return scale_odds(x, bias_field(coefficients, self.order, h, w, x.device, x.dtype))
