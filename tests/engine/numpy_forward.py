#!/usr/bin/python3
"""An independent reference for qframe's engine: a NumPy forward pass in float64.

It parses the GGUF file itself and dequantizes F32, F16, BF16, Q8_0 and Q4_0 itself; for any
other type it asks `qframe dump` (given with --qframe) for the tensor decoded to F32 (dump is
checked bit-exact against ggml's decoder by tests/cli/dump_reference.sh). Nothing else is shared
with qframe. The model follows llama.cpp's graphs (src/llama.cpp, build_llama, build_qwen2,
build_gemma, build_gemma2, build_phi3; qwen3, qwen3moe and gemma3 from current llama.cpp), written here from those graphs, not from qframe's table: RMSNorm, rotary
embeddings (llama: NORM mode, pairs 2i, 2i+1; qwen2, gemma: NEOX mode, pairs i, i + d/2),
grouped-query causal attention scaled by 1/sqrt(head_dim) (qwen2: Q/K/V biases), a gated
feed-forward network (SiLU; gemma: GELU's tanh form), output norm, output matrix (token_embd
when output.weight is absent, and always for gemma); gemma scales the embeddings by sqrt(n_embd).
gemma2 adds RMS norms after the attention and the FFN (before their residuals), caps the
scores and the logits (cap * tanh(v / cap)) and lets even layers see only the last
{arch}.attention.sliding_window positions. phi3 keeps Q, K and V in one attn_qkv matrix and the
gate's rows before the up projection's in ffn_up, lets every layer see only the last
sliding_window positions, and divides the rotary frequencies by rope_factors_short (a context
of at most rope.scaling.original_context_length: here, the tokens given) or rope_factors_long,
scaling cos and sin by rope.scaling.attn_factor. A llama with {arch}.expert_count > 0 (Mixtral)
routes each token to its expert_used_count most probable experts (softmax of ffn_gate_inp's
logits, weights renormalised to sum 1) and adds their SwiGLU outputs (ffn_*_exps), weighted;
qwen2moe (qwen2's attention) keeps the probabilities as weights and adds a shared expert
(ffn_*_shexp) times sigmoid(ffn_gate_inp_shexp . x). qwen3 (and qwen3moe, experts as Mixtral's)
RMS-norms each head's queries and keys (attn_q_norm, attn_k_norm) before the rotation; gemma3
(current llama.cpp's src/models/gemma3.cpp, as c392e50 predates it) does so too, has gemma2's
post norms but no soft caps, and windows every layer but each sixth (5, 11, ...), those layers
rotating with base 10000 and no frequency scaling.

  numpy_forward.py MODEL --tokens 1,2,3 [--out ref.f64] [--compare engine.f32 [--tol 1e-4]]

--compare reads qframe's logits ([n_tokens x n_vocab] float32) and prints, per position p,
err(p) = max_j |qframe[p,j] - ref[p,j]| / max_j |ref[p,j]|; it exits 1 when max_p err(p) > tol.
Run it with Debian's /usr/bin/python3 (package python3-numpy).
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

# ---- GGUF parsing ----
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8", errors="replace")
        self.pos += n
        return s

    def value(self, t):
        if t in SCALARS:
            return self.take(SCALARS[t])
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.take("<I"), self.take("<Q")
            return [self.value(et) for _ in range(n)]
        raise ValueError(f"unknown metadata type {t}")


def read_gguf(path):
    data = open(path, "rb").read()
    r = Reader(data)
    if data[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    r.pos = 4
    version = r.take("<I")
    if version not in (2, 3):
        raise ValueError(f"{path}: GGUF version {version}")
    n_tensors, n_kv = r.take("<Q"), r.take("<Q")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        t = r.take("<I")
        if key in ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges"):
            r.value(t)  # skipped (slow to keep, not needed)
            continue
        meta[key] = r.value(t)
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        nd = r.take("<I")
        dims = [r.take("<Q") for _ in range(nd)]
        ttype, offset = r.take("<I"), r.take("<Q")
        infos.append((name, dims, ttype, offset))
    align = meta.get("general.alignment", 32)
    start = (r.pos + align - 1) // align * align
    return data, meta, {name: (dims, ttype, start + off) for name, dims, ttype, off in infos}


# ---- dequantization (ggml's formats) ----
def f16(raw):
    return np.frombuffer(raw, dtype="<f2").astype(np.float64)


def dequant(data, ttype, offset, n):
    if ttype == 0:  # F32
        return np.frombuffer(data, dtype="<f4", count=n, offset=offset).astype(np.float64)
    if ttype == 1:  # F16
        return np.frombuffer(data, dtype="<f2", count=n, offset=offset).astype(np.float64)
    if ttype == 30:  # BF16: the high half of an F32
        b = np.frombuffer(data, dtype="<u2", count=n, offset=offset).astype(np.uint32) << 16
        return b.view(np.float32).astype(np.float64)
    if ttype == 8:  # Q8_0: f16 scale, 32 int8
        blocks = np.frombuffer(data, dtype=np.uint8, count=n // 32 * 34, offset=offset).reshape(-1, 34)
        d = f16(blocks[:, :2].tobytes())
        q = blocks[:, 2:].view(np.int8).astype(np.float64)
        return (q * d[:, None]).reshape(-1)
    if ttype == 2:  # Q4_0: f16 scale, 16 bytes; low nibbles are values 0..15, high 16..31
        blocks = np.frombuffer(data, dtype=np.uint8, count=n // 32 * 18, offset=offset).reshape(-1, 18)
        d = f16(blocks[:, :2].tobytes())
        qs = blocks[:, 2:]
        q = np.concatenate([(qs & 0x0F), (qs >> 4)], axis=1).astype(np.float64) - 8
        return (q * d[:, None]).reshape(-1)
    return None


class Model:
    def __init__(self, path, qframe=None):
        self.path, self.qframe = path, qframe
        self.data, self.meta, self.tensors = read_gguf(path)

    def has(self, name):
        return name in self.tensors

    def get(self, name):
        dims, ttype, offset = self.tensors[name]
        n = int(np.prod(dims))
        v = dequant(self.data, ttype, offset, n)
        if v is None:
            if not self.qframe:
                raise SystemExit(f"{name}: type {ttype} needs --qframe (for qframe dump)")
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "t.f32")
                subprocess.run([self.qframe, "dump", "-q", self.path, name, "--out", out], check=True)
                v = np.fromfile(out, dtype="<f4").astype(np.float64)
        # ggml dims are (ne0, ne1): ne1 rows of ne0 values.
        return v.reshape(list(reversed(dims))) if len(dims) > 1 else v


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def forward(m, tokens):
    meta = m.meta
    arch = meta["general.architecture"]
    assert arch in ("llama", "qwen2", "qwen2moe", "qwen3", "qwen3moe", "gemma", "gemma2", "gemma3", "phi3"), arch
    key = lambda suffix, *default: meta.get(f"{arch}.{suffix}", *default) if default else meta[f"{arch}.{suffix}"]
    n_embd = key("embedding_length")
    n_layer = key("block_count")
    n_head = key("attention.head_count")
    n_head_kv = key("attention.head_count_kv", n_head)
    hd = key("attention.key_length", n_embd // n_head)
    eps = key("attention.layer_norm_rms_epsilon")
    base = key("rope.freq_base", 10000.0)
    factor = key("rope.scaling.factor", 0.0)
    freq_scale = 1.0 / factor if factor else 1.0
    neox = arch != "llama"
    phi3 = arch == "phi3"
    gemma = arch in ("gemma", "gemma2", "gemma3")
    gemma2, gemma3 = arch == "gemma2", arch == "gemma3"
    attn_cap = key("attn_logit_softcapping", 50.0) if gemma2 else None
    final_cap = key("final_logit_softcapping", 30.0) if gemma2 else None
    window = key("attention.sliding_window", 4096) if gemma2 else key("attention.sliding_window") if phi3 or gemma3 else None
    windowed = lambda l: (gemma2 and l % 2 == 0) or (gemma3 and l % 6 < 5) or phi3
    mscale = key("rope.scaling.attn_factor", 1.0)
    # the 27B models (gemma2: 46 layers, gemma3: 62) scale queries by n_embd / n_head instead of the head width
    score_dim = n_embd // n_head if (gemma2 and n_layer == 46) or (gemma3 and n_layer == 62) else hd

    T = len(tokens)
    x = m.get("token_embd.weight")[tokens]  # [T, n_embd]
    if gemma:
        x = x * np.sqrt(n_embd)
    def angles(base, freq_scale):
        inv_freq = freq_scale * base ** (-2.0 * np.arange(hd // 2) / hd)
        if m.has("rope_freqs.weight"):
            inv_freq = inv_freq / m.get("rope_freqs.weight")
        if phi3:
            long_ctx = T > key("rope.scaling.original_context_length", key("context_length"))
            name = "rope_factors_long.weight" if long_ctx else "rope_factors_short.weight"
            if m.has(name):
                inv_freq = inv_freq / m.get(name)
        theta = np.arange(T)[:, None] * inv_freq[None, :]  # [T, hd/2]
        return np.cos(theta) * mscale, np.sin(theta) * mscale

    global_angles = angles(base, freq_scale)
    window_angles = angles(10000.0, 1.0) if gemma3 else global_angles

    def rope(v, cos, sin):  # v: [T, heads, hd]; NORM rotates (2i, 2i+1), NEOX (i, i + hd/2)
        if neox:
            a, b = v[..., :hd // 2], v[..., hd // 2:]
        else:
            a, b = v[..., 0::2], v[..., 1::2]
        c, s = cos[:, None, :], sin[:, None, :]
        ra, rb = a * c - b * s, a * s + b * c
        out = np.empty_like(v)
        if neox:
            out[..., :hd // 2], out[..., hd // 2:] = ra, rb
        else:
            out[..., 0::2], out[..., 1::2] = ra, rb
        return out

    def linear(h, name, bias=False):
        y = h @ m.get(name + ".weight").T
        return y + m.get(name + ".bias") if bias else y

    def act(g):
        if gemma:  # GELU, tanh approximation
            return 0.5 * g * (1 + np.tanh(np.sqrt(2 / np.pi) * (g + 0.044715 * g ** 3)))
        return g / (1 + np.exp(-g))

    n_expert = key("expert_count", 0)
    n_used = key("expert_used_count", 0)

    def moe(h, p):  # h: [T, n_embd]
        logits = h @ m.get(p + "ffn_gate_inp.weight").T  # [T, n_expert]
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        gate, up, down = (m.get(p + f"ffn_{w}_exps.weight") for w in ("gate", "up", "down"))  # [n_expert, rows, cols]
        out = np.zeros_like(h)
        for t in range(h.shape[0]):
            top = np.argsort(-probs[t], kind="stable")[:n_used]
            w = probs[t, top] if arch == "qwen2moe" else probs[t, top] / probs[t, top].sum()  # qwen2moe: not renormalised
            for e, we in zip(top, w):
                g, u = gate[e] @ h[t], up[e] @ h[t]
                out[t] += we * (down[e] @ (act(g) * u))
        if m.has(p + "ffn_gate_inp_shexp.weight"):  # qwen2moe's shared expert, gated by a sigmoid
            gate_s = 1 / (1 + np.exp(-(h @ m.get(p + "ffn_gate_inp_shexp.weight"))))  # [T]
            g, u = h @ m.get(p + "ffn_gate_shexp.weight").T, h @ m.get(p + "ffn_up_shexp.weight").T
            out += gate_s[:, None] * ((act(g) * u) @ m.get(p + "ffn_down_shexp.weight").T)
        return out

    mask = np.triu(np.full((T, T), -np.inf), k=1)
    swa_mask = mask.copy()
    if window is not None:
        swa_mask[np.subtract.outer(np.arange(T), np.arange(T)) >= window] = -np.inf
    group = n_head // n_head_kv
    cap = lambda v, c: c * np.tanh(v / c)
    for l in range(n_layer):
        p = f"blk.{l}."
        h = rms_norm(x, m.get(p + "attn_norm.weight"), eps)
        bias = arch in ("qwen2", "qwen2moe")
        if phi3:
            qkv = linear(h, p + "attn_qkv")
            q = qkv[:, :n_head * hd].reshape(T, n_head, hd)
            k = qkv[:, n_head * hd:(n_head + n_head_kv) * hd].reshape(T, n_head_kv, hd)
            v = qkv[:, (n_head + n_head_kv) * hd:].reshape(T, n_head_kv, hd)
        else:
            q = linear(h, p + "attn_q", bias).reshape(T, n_head, hd)
            k = linear(h, p + "attn_k", bias).reshape(T, n_head_kv, hd)
            v = linear(h, p + "attn_v", bias).reshape(T, n_head_kv, hd)
        if m.has(p + "attn_q_norm.weight"):
            q = rms_norm(q, m.get(p + "attn_q_norm.weight"), eps)
            k = rms_norm(k, m.get(p + "attn_k_norm.weight"), eps)
        cos, sin = window_angles if windowed(l) else global_angles
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        out = np.empty((T, n_head, hd))
        layer_mask = swa_mask if windowed(l) else mask
        for hh in range(n_head):
            kv = hh // group
            s = q[:, hh, :] @ k[:, kv, :].T / np.sqrt(score_dim)
            if attn_cap is not None:
                s = cap(s, attn_cap)
            s = s + layer_mask
            s = np.exp(s - s.max(axis=1, keepdims=True))
            s /= s.sum(axis=1, keepdims=True)
            out[:, hh, :] = s @ v[:, kv, :]
        a = out.reshape(T, n_head * hd) @ m.get(p + "attn_output.weight").T
        if gemma2 or gemma3:
            a = rms_norm(a, m.get(p + "post_attention_norm.weight"), eps)
        x = x + a
        h = rms_norm(x, m.get(p + "ffn_norm.weight"), eps)
        if n_expert:
            f = moe(h, p)
        else:
            if phi3:
                gu = linear(h, p + "ffn_up")
                g, u = gu[:, :gu.shape[1] // 2], gu[:, gu.shape[1] // 2:]
            else:
                g = linear(h, p + "ffn_gate")
                u = linear(h, p + "ffn_up")
            f = (act(g) * u) @ m.get(p + "ffn_down.weight").T
        if gemma2 or gemma3:
            f = rms_norm(f, m.get(p + "post_ffw_norm.weight"), eps)
        x = x + f
    h = rms_norm(x, m.get("output_norm.weight"), eps)
    tied = arch in ("gemma", "gemma2") or not m.has("output.weight")
    out_w = m.get("token_embd.weight") if tied else m.get("output.weight")
    logits = h @ out_w.T
    return cap(logits, final_cap) if final_cap is not None else logits


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--tokens", required=True, help="comma-separated token ids")
    ap.add_argument("--qframe", help="qframe executable, for types this script does not dequantize")
    ap.add_argument("--out", help="write the logits as float64 [n_tokens x n_vocab]")
    ap.add_argument("--compare", help="qframe's logits, float32 [n_tokens x n_vocab]")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    tokens = [int(t) for t in args.tokens.split(",")]
    ref = forward(Model(args.model, args.qframe), tokens)
    if args.out:
        ref.tofile(args.out)
    if not args.compare:
        np.set_printoptions(precision=6, suppress=True)
        print(ref)
        return 0
    got = np.fromfile(args.compare, dtype="<f4").astype(np.float64)
    if got.size != ref.size:
        print(f"FAIL: {got.size} logits from qframe, {ref.size} from the reference")
        return 1
    got = got.reshape(ref.shape)
    err = np.abs(got - ref).max(axis=1) / np.abs(ref).max(axis=1)
    argmax_same = int((got.argmax(axis=1) == ref.argmax(axis=1)).sum())
    worst = float(err.max())
    print(f"{os.path.basename(args.model)}: {len(tokens)} positions, max relative error {worst:.3g} "
          f"(mean {float(err.mean()):.3g}), same argmax at {argmax_same}/{len(tokens)}, tolerance {args.tol:g}")
    if not worst <= args.tol:
        print(f"FAIL: error above tolerance at positions {np.nonzero(err > args.tol)[0].tolist()[:10]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
