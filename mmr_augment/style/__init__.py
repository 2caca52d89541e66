"""Domain-style simulators: how a site renders an image (``ScannerStyle``; a site's spread of
looks: ``StyleFamily``) and how a department writes a report (``ReportStyle``)."""

from typing import Any

from .family import StyleFamily
from .scanner import ScannerStyle

__all__ = ["ScannerStyle", "StyleFamily", "ReportStyle"]


def __getattr__(name: str) -> Any:
    # ReportStyle needs the report stack (the `text` extra); it loads on first use.
    if name == "ReportStyle":
        from .report import ReportStyle

        return ReportStyle
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
