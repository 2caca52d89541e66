class Image:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("Wand stand-in: install ImageMagick and Wand for motion blur")
