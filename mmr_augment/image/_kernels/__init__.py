"""Private functional kernels shared by the image ops: blur taps, resize matrices, exact
Poisson draws and the bitmap font. Not public API; the op modules re-export what users need."""
