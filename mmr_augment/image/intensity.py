"""Image families (group intensity); re-exports its ops."""

__all__: list[str] = []
