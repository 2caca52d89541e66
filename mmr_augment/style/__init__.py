"""Domain-style simulators: how a site renders an image (``ScannerStyle``) and how a
department writes a report (``ReportStyle``)."""

from typing import Any

from .scanner import ScannerStyle

__all__ = ["ScannerStyle", "ReportStyle"]


def __getattr__(name: str) -> Any:
    # ReportStyle needs the report stack (the `text` extra); it loads on first use.
    if name == "ReportStyle":
        from .report import ReportStyle

        return ReportStyle
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
