"""libjpeg through Pillow, the batch cut into one contiguous slice per torch thread.

Where the time goes (224 px grey, per image, one core): libjpeg's encode and decode about
0.09 ms each, the 8-bit conversions about 0.04 ms; coded one image at a time, Pillow's Python
and the codecs' set-up added about 0.08 ms. Three things keep the pool busy:

- Pillow's decoder releases the GIL, but its encoder only does when it writes to a real file
  descriptor (``ImageFile._save`` then calls ``encode_to_file``; into a ``BytesIO`` it encodes
  holding the GIL, so the threads took turns). Each thread encodes into its own in-memory file
  (``os.memfd_create``; a temporary file where that does not exist) and decodes the bytes.
- Grey samples of one quality are coded as one tall image (:func:`_code_slice`), which pays
  the set-up and Python once per run of samples instead of once per sample.
- The conversions run on a whole run, so a thread releases and retakes the GIL a few times
  per run instead of a dozen times per image (each hand-over costs a thread switch).
"""

from __future__ import annotations

import atexit
import os
import tempfile
import threading

import numpy as np
import torch
from PIL import Image

from .threads import run_in_slices

_files: dict[tuple[int, int], object] = {}  # (process, OS thread) -> scratch file
_MAX_SIDE = 65500  # libjpeg's largest image side
_RUN_PIXELS = 1 << 19  # samples coded and converted together: about 2 MB of float32


def _stream_file():
    """This OS thread's scratch file for the encoder (made again in a forked child, which must
    not share the parent's file offset). Keyed by the OS thread, not ``threading.local``: an
    OpenMP worker gets a new Python thread state each time it runs mmr's work."""
    key = (os.getpid(), threading.get_native_id())
    file = _files.get(key)
    if file is None:
        if hasattr(os, "memfd_create"):
            file = os.fdopen(os.memfd_create("mmr-jpeg", os.MFD_CLOEXEC), "w+b", buffering=0)
        else:
            file = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 (kept for the thread)
        _files[key] = file
        atexit.register(file.close)  # kept open for the thread's life, closed at exit
    return file


def _to_8bit(samples: np.ndarray) -> np.ndarray:
    """``samples * 255`` clipped to ``[0, 255]`` and rounded (half to even), as uint8. The clip
    is skipped when nothing is outside: numpy's clip costs more than the other steps together.
    """
    scaled = np.multiply(samples, np.float32(255))
    if not (scaled.min() >= 0 and scaled.max() <= 255):  # NaN too: np.clip as before
        np.clip(scaled, 0, 255, out=scaled)
    return np.rint(scaled, out=scaled).astype(np.uint8)


def _code_one(pixels: np.ndarray, quality: int, decoded: np.ndarray) -> None:
    """Encode one 8-bit image ``(C, H, W)`` (a sample, or a run of grey samples stacked) at
    ``quality`` and decode it into ``decoded``."""
    channels, height, width = pixels.shape
    # grey goes to libjpeg as mode L, the channel plane as it is; colour as interleaved RGB
    image = Image.frombuffer("L", (width, height), pixels[0], "raw", "L", 0, 1) if (
        channels == 1) else Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)), "RGB")
    file = _stream_file()
    file.seek(0)
    image.save(file, "JPEG", quality=quality)  # to a file descriptor: encodes without the GIL
    length = file.tell()
    file.seek(0)
    stream = file.read(length)
    # the stream is ours (one baseline frame, no Adobe marker): libjpeg's decoder straight on
    # it, as Image.open's load would call it (rawmode = mode), without parsing the markers
    plane = np.frombuffer(Image.frombytes(image.mode, image.size, stream, "jpeg", image.mode,
                                          "").tobytes(), np.uint8)
    decoded[...] = plane.reshape(1, height, width) if channels == 1 else (
        plane.reshape(height, width, 3).transpose(2, 0, 1))


def _runs(qualities: list[int], stackable: bool, per_run: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of the runs of consecutive samples to code as one image: equal quality,
    at most ``per_run`` samples, each sample alone unless ``stackable``."""
    runs, start = [], 0
    for i in range(1, len(qualities) + 1):
        if (i == len(qualities) or not stackable or qualities[i] != qualities[start]
                or i - start == per_run):
            runs.append((start, i))
            start = i
    return runs


def _code_slice(samples: np.ndarray, qualities: list[int], target: np.ndarray) -> None:
    """Code consecutive samples into ``target`` (/ 255), a run at a time.

    Grey samples that share a quality are coded as one tall image, stacked: libjpeg codes
    each 8x8 block on its own (no smoothing, no chroma resampling for grey, only the lossless
    DC prediction runs across blocks) and none of the blocks straddles two samples, so every
    sample decodes exactly as it would alone, and the per-image cost (encoder and decoder
    set-up, Pillow's Python) is paid once per run. A height that is not a multiple of 8 is
    padded to one first by repeating the sample's last row, as libjpeg pads a lone image's last
    block row, and the padding is dropped after decoding (64 of MedMNIST's 28 px images: 0.7
    ms against 11 ms one image at a time, two threads). The 8-bit conversions are done per
    run too: few enough calls that a thread gives up the GIL for long stretches, data small
    enough (``_RUN_PIXELS``) to stay in the core's cache.
    """
    _, channels, height, width = samples.shape
    stacked = -(-height // 8) * 8 if channels == 1 else height  # each sample's rows in a run
    per_run = max(1, min(_MAX_SIDE // stacked, _RUN_PIXELS // (channels * stacked * width)))
    for start, stop in _runs(qualities, channels == 1, per_run):
        pixels = _to_8bit(samples[start:stop])
        if stacked != height:
            pixels = np.concatenate(
                [pixels, np.repeat(pixels[:, :, -1:], stacked - height, axis=2)], axis=2)
        decoded = np.empty_like(pixels)
        shape = (channels, (stop - start) * stacked, width)
        _code_one(pixels.reshape(shape), qualities[start], decoded.reshape(shape))
        np.divide(decoded[:, :, :height], target.dtype.type(255), out=target[start:stop],
                  dtype=target.dtype)


@torch.library.custom_op("mmr_augment::jpeg_roundtrip_cpu", mutates_args=())
def jpeg_roundtrip_cpu(samples: torch.Tensor, quality: torch.Tensor, double: bool
                       ) -> torch.Tensor:
    """Encode-decode float32 CPU samples ``(B, C, H, W)`` at integer ``quality`` ``(B,)`` on
    torch's threads (``threads.run_in_slices``), one contiguous slice of the batch per thread
    (float64 out if ``double``). A custom operator: ``torch.compile`` sees one node, no graph
    break."""
    out = torch.empty(samples.shape, dtype=torch.float64 if double else torch.float32)
    array, target, qualities = samples.numpy(), out.numpy(), quality.tolist()
    run_in_slices(lambda start, stop: _code_slice(array[start:stop], qualities[start:stop],
                                                  target[start:stop]), len(qualities),
                  array.size)
    return out


@jpeg_roundtrip_cpu.register_fake
def _(samples: torch.Tensor, quality: torch.Tensor, double: bool) -> torch.Tensor:
    return samples.new_empty(samples.shape, dtype=torch.float64 if double else torch.float32)


def pil_jpeg(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Real JPEG encode-decode of ``x`` ``(B, C, H, W)`` in ``[0, 1]``, per-sample ``quality``.

    Each sample is rounded to 8 bits, saved by Pillow's libjpeg at its integer quality
    (grey images as mode ``L``, colour as ``RGB`` with Pillow's default 4:2:0 subsampling),
    decoded, and divided by 255: bit-exact with ``Image.open(BytesIO(save(quality=q)))``.

    Example:
        >>> y = pil_jpeg(torch.full((2, 1, 8, 8), 0.5), torch.tensor([10, 90]))
        >>> y.shape, round(y[0, 0, 0, 0].item() * 255)
        (torch.Size([2, 1, 8, 8]), 128)
    """
    samples = x.detach().to(device="cpu", dtype=torch.float32).contiguous()
    qualities = quality.round().clamp(1, 100).to(torch.int64).cpu()
    out = jpeg_roundtrip_cpu(samples, qualities, x.dtype == torch.float64)
    return out.to(device=x.device, dtype=x.dtype)
