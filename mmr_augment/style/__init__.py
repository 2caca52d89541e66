"""Domain-style simulators: how a site renders an image (``ScannerStyle``) and how a
department writes a report (``ReportStyle``)."""

from .report import ReportStyle
from .scanner import ScannerStyle

__all__ = ["ScannerStyle", "ReportStyle"]
