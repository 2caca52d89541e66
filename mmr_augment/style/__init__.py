"""Domain-style simulators: how a site renders an image (``ScannerStyle``)."""

from .scanner import ScannerStyle

__all__ = ["ScannerStyle"]
