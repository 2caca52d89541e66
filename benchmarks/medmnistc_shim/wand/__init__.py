"""Import-only stand-in for Wand: MedMNIST-C imports it for motion blur, which no chest
corruption uses, and ImageMagick's MagickWand library is not installed here."""
