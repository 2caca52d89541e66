"""Image families (group spatial); re-exports its ops."""

__all__: list[str] = []
