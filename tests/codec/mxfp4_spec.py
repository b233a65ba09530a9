#!/usr/bin/env python3
"""MXFP4's test vectors from the OCP Microscaling spec (v1.0, §5.3.3 E2M1, §5.4.1 E8M0), read
with NumPy independently of ggml's doubled-table arithmetic.

    mxfp4_spec.py write DIR   # DIR/mxfp4.raw.bin (random blocks) and .f32 (the spec's values)
    mxfp4_spec.py check DIR   # exit 1 unless .f32 holds the spec's values of .bin

A block is one E8M0 byte e (scale 2^(e-127); 255 is NaN in the spec and is left out, as ggml
does not treat it so) and 16 bytes of E2M1 nibbles, value j in the low nibble of byte j and
value j + 16 in its high nibble (ggml's layout, as in Q4_0). Two readings follow ggml where the
spec leaves room: the negative zero decodes as +0, and a value beyond float's range as ±inf.
test_codec decodes .bin and must match .f32 bit for bit."""
import pathlib
import sys

import numpy as np

QK = 32
BLOCK_BYTES = 1 + QK // 2


def e2m1(nibble):
    """Sign bit 3, exponent bits 2..1 (bias 1), mantissa bit 0; exponent 0 is subnormal (m × 0.5)."""
    sign = np.where(nibble & 8, -1.0, 1.0)
    exponent = (nibble >> 1) & 3
    mantissa = nibble & 1
    magnitude = np.where(exponent == 0, mantissa * 0.5, (1.0 + mantissa * 0.5) * np.exp2(exponent.astype(np.float64) - 1))
    return np.where(magnitude == 0, 0.0, sign * magnitude)  # -0 (nibble 8) reads as +0 in ggml's int table


def decode(raw):
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BLOCK_BYTES)
    scale = np.exp2(blocks[:, 0].astype(np.float64) - 127)
    qs = blocks[:, 1:]
    nibbles = np.concatenate([qs & 0xF, qs >> 4], axis=1)  # values 0..15, then 16..31
    with np.errstate(over="ignore"):  # 6 × 2^127 overflows float to ±inf, as in ggml's product
        return (e2m1(nibbles) * scale[:, None]).astype(np.float32).reshape(-1)  # otherwise exact


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__.split("\n\n")[1])
    folder = pathlib.Path(sys.argv[2])
    bin_path, f32_path = folder / "mxfp4.raw.bin", folder / "mxfp4.raw.f32"
    if sys.argv[1] == "write":
        rng = np.random.default_rng(39)
        blocks = rng.integers(0, 256, size=(24, BLOCK_BYTES), dtype=np.uint8)
        blocks[:, 0] = np.concatenate([[0, 1, 2, 126, 127, 128, 254], rng.integers(0, 255, size=17)]).astype(np.uint8)
        bin_path.write_bytes(blocks.tobytes())
        f32_path.write_bytes(decode(blocks.tobytes()).astype("<f4").tobytes())
        return
    want = decode(bin_path.read_bytes()).astype("<f4").tobytes()
    if f32_path.read_bytes() != want:
        sys.exit(f"{f32_path}: not the spec's values of {bin_path.name}")
    print(f"{f32_path.name}: the spec's values of {bin_path.stat().st_size // BLOCK_BYTES} blocks")


if __name__ == "__main__":
    main()
