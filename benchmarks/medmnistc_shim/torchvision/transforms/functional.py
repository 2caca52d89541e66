"""The two functions MedMNIST-C calls, on PIL images, as torchvision 0.2x computes them.

``adjust_gamma``: torchvision's ``F_pil.adjust_gamma`` lookup table. ``gaussian_blur``: the PIL
image as a uint8 tensor, torchvision's default sigma ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``, a
separable normalised Gaussian, reflect padding, float32 convolution, rounded back to uint8.
"""

import numpy as np
import torch
from PIL import Image


def adjust_gamma(img, gamma, gain=1):
    mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(i / 255.0, gamma)) for i in range(256)] * 3
    return img.convert("RGB").point(table).convert(mode)


def gaussian_blur(img, kernel_size, sigma=None):
    k = int(kernel_size)
    sigma = 0.3 * ((k - 1) * 0.5 - 1) + 0.8 if sigma is None else float(sigma)
    half = (k - 1) * 0.5
    taps = torch.exp(-0.5 * (torch.linspace(-half, half, k) / sigma) ** 2)
    taps = taps / taps.sum()
    kernel = (taps[:, None] * taps[None, :]).expand(3, 1, k, k)
    x = torch.from_numpy(np.asarray(img.convert("RGB"))).permute(2, 0, 1)[None].float()
    x = torch.nn.functional.pad(x, [k // 2] * 4, mode="reflect")
    y = torch.nn.functional.conv2d(x, kernel, groups=3).round().clamp(0, 255).to(torch.uint8)
    return Image.fromarray(y[0].permute(1, 2, 0).numpy()).convert(img.mode)
