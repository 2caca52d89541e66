"""Image families (group blur); re-exports its ops."""

__all__: list[str] = []
