"""A GGUF reader for the CLI tests, written from the format's description (no qframe code).

As a program:
  gguf_bytes.py same-model A B   exit 0 when B is A but for qframe.* keys: the same other key/values
                                 in the same order, the same tensor infos and the same data (B may
                                 add general.quantization_version = 2, as llama-quantize always
                                 does once a tensor is rewritten)
  gguf_bytes.py same-tensors A B  exit 0 when A and B hold the same tensors, in any order: names,
                                 types, shapes and bytes (their metadata may differ)
  gguf_bytes.py digests FILE     print each tensor's name, type id and the SHA-256 of its bytes
                                 (with the padding up to the next tensor), in name order
  gguf_bytes.py set-key IN OUT KEY TYPE VALUE
                                 write OUT: IN with KEY's value replaced (or added) as TYPE
                                 (u32, i32, f32, bool or str), the data section moved to stay aligned
  gguf_bytes.py provenance OUT IN [RECIPE]
                                 exit 0 when OUT's qframe.* keys name IN (file name, SHA-256) and,
                                 given, RECIPE (its text and SHA-256)
"""
import hashlib
import os
import struct
import sys


def read_u(fmt, data, pos):
    value = struct.unpack_from("<" + fmt, data, pos)[0]
    return value, pos + struct.calcsize("<" + fmt)


def skip_value(data, pos, vtype):
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    if vtype in sizes:
        return pos + sizes[vtype]
    if vtype == 8:
        n, pos = read_u("Q", data, pos)
        return pos + n
    if vtype == 9:
        etype, pos = read_u("I", data, pos)
        n, pos = read_u("Q", data, pos)
        for _ in range(n):
            pos = skip_value(data, pos, etype)
        return pos
    raise ValueError(f"bad value type {vtype}")


class Gguf:
    """data: the file's bytes; kv: [(key, type, raw value bytes)] in file order; tensors: name →
    (type, dims, offset); infos: the tensor-info bytes; data_start: where the data section begins."""

    def __init__(self, path):
        self.data = data = open(path, "rb").read()
        assert data[:4] == b"GGUF", path
        pos = 8
        n_tensors, pos = read_u("Q", data, pos)
        n_kv, pos = read_u("Q", data, pos)
        alignment = 32
        self.kv = []
        for _ in range(n_kv):
            klen, pos = read_u("Q", data, pos)
            key = data[pos:pos + klen].decode()
            pos += klen
            vtype, pos = read_u("I", data, pos)
            if key == "general.alignment":
                alignment = struct.unpack_from("<I", data, pos)[0]
            end = skip_value(data, pos, vtype)
            self.kv.append((key, vtype, data[pos:end]))
            pos = end
        infos_start = pos
        self.tensors = {}
        for _ in range(n_tensors):
            nlen, pos = read_u("Q", data, pos)
            name = data[pos:pos + nlen].decode()
            pos += nlen
            n_dims, pos = read_u("I", data, pos)
            dims = struct.unpack_from(f"<{n_dims}Q", data, pos)
            pos += 8 * n_dims
            ttype, pos = read_u("I", data, pos)
            offset, pos = read_u("Q", data, pos)
            self.tensors[name] = (ttype, dims, offset)
        self.infos = data[infos_start:pos]
        self.data_start = (pos + alignment - 1) // alignment * alignment

    def string(self, key):
        for k, vtype, raw in self.kv:
            if k == key:
                assert vtype == 8, f"{key} is not a string"
                return raw[8:].decode()
        return None

    def tensor_ranges(self):
        """name → (start, end) in the file: up to the next tensor's start, or the file's end."""
        starts = sorted((offset, name) for name, (_, _, offset) in self.tensors.items())
        ends = [o for o, _ in starts[1:]] + [len(self.data) - self.data_start]
        return {name: (self.data_start + o, self.data_start + e) for (o, name), e in zip(starts, ends)}

    def without_provenance(self):
        return [entry for entry in self.kv if not entry[0].startswith("qframe.")]

    def model_keys_beside(self, original):
        """without_provenance(), less a general.quantization_version = 2 that `original` lacks."""
        has = {k for k, _, _ in original.kv}
        added = ("general.quantization_version", 4, struct.pack("<I", 2))
        return [e for e in self.without_provenance() if e != added or e[0] in has]


def same_tensors(a, b):
    """Tensor by tensor, in any order: the same names, types, shapes and bytes (with padding)."""
    if set(a.tensors) != set(b.tensors):
        return ["the tensor names differ"]
    ra, rb = a.tensor_ranges(), b.tensor_ranges()
    return [f"{name}: {'type or shape' if a.tensors[name][:2] != b.tensors[name][:2] else 'bytes'} differ"
            for name in a.tensors
            if a.tensors[name][:2] != b.tensors[name][:2] or a.data[slice(*ra[name])] != b.data[slice(*rb[name])]]


def same_model(a, b):
    """The differences between A and B other than qframe.* keys, as messages."""
    problems = []
    if a.without_provenance() != b.model_keys_beside(a):
        problems.append("key/values other than qframe.* differ")
    if a.infos != b.infos:
        problems.append("tensor infos differ")
    if a.data[a.data_start:] != b.data[b.data_start:]:
        problems.append("tensor data differ")
    return problems


def with_key(g, key, vtype_name, text):
    """The bytes of g's file with KEY set to TEXT read as VTYPE_NAME."""
    encoders = {"u32": (4, lambda t: struct.pack("<I", int(t))), "i32": (5, lambda t: struct.pack("<i", int(t))),
                "f32": (6, lambda t: struct.pack("<f", float(t))), "bool": (7, lambda t: struct.pack("<B", t == "true")),
                "str": (8, lambda t: struct.pack("<Q", len(t.encode())) + t.encode())}
    vtype, encode = encoders[vtype_name]
    kv = list(g.kv) if any(k == key for k, _, _ in g.kv) else list(g.kv) + [(key, vtype, b"")]
    kv = [(k, vtype, encode(text)) if k == key else (k, t, raw) for k, t, raw in kv]
    alignment = 32
    for k, t, raw in kv:
        if k == "general.alignment" and t == 4:
            alignment = struct.unpack("<I", raw)[0]
    head = g.data[:8] + struct.pack("<QQ", len(g.tensors), len(kv))
    for k, t, raw in kv:
        head += struct.pack("<Q", len(k.encode())) + k.encode() + struct.pack("<I", t) + raw
    head += g.infos
    head += bytes(-len(head) % alignment)
    return head + g.data[g.data_start:]


def provenance(out, input_path, recipe_path=None):
    problems = []
    want = {"qframe.input.file": os.path.basename(input_path),
            "qframe.input.sha256": hashlib.sha256(open(input_path, "rb").read()).hexdigest()}
    if recipe_path:
        text = open(recipe_path, "rb").read()
        want["qframe.recipe.text"] = text.decode()
        want["qframe.recipe.sha256"] = hashlib.sha256(text).hexdigest()
    for key, value in want.items():
        if out.string(key) != value:
            problems.append(f"{key} is {out.string(key)!r:.80}, not {value!r:.80}")
    for key in ("qframe.version", "qframe.date"):
        if not out.string(key):
            problems.append(f"no {key}")
    return problems


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "same-model":
        problems = same_model(Gguf(args[0]), Gguf(args[1]))
    elif command == "same-tensors":
        problems = same_tensors(Gguf(args[0]), Gguf(args[1]))
    elif command == "digests":
        g = Gguf(args[0])
        ranges = g.tensor_ranges()
        for name in sorted(g.tensors):
            print(f"{name}\t{g.tensors[name][0]}\t{hashlib.sha256(g.data[slice(*ranges[name])]).hexdigest()}")
        sys.exit(0)
    elif command == "set-key":
        with open(args[1], "wb") as out:
            out.write(with_key(Gguf(args[0]), *args[2:5]))
        sys.exit(0)
    elif command == "provenance":
        problems = provenance(Gguf(args[0]), *args[1:])
    else:
        raise SystemExit(f"unknown command {command}")
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
