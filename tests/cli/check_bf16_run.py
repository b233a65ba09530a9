"""Independent check of a bf16_truncate run, straight from the GGUF bytes (no qframe code).

usage: check_bf16_run.py INPUT OUTPUT REPORT.json

Parses both files' headers itself, then checks that
  - the header bytes (metadata, tensor infos) are identical, and every tensor the run did not
    change has identical data;
  - every changed tensor is the input's F32 data with the low 16 bits of each value cleared;
  - eval.tensor_diff's numbers (changed count, max abs, mean abs, max rel) match a recomputation.
Prints one line per changed tensor; exits 1 on any mismatch.
"""
import json
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


def parse(path):
    data = open(path, "rb").read()
    assert data[:4] == b"GGUF", path
    pos = 8
    n_tensors, pos = read_u("Q", data, pos)
    n_kv, pos = read_u("Q", data, pos)
    alignment = 32
    for _ in range(n_kv):
        klen, pos = read_u("Q", data, pos)
        key = data[pos:pos + klen].decode()
        pos += klen
        vtype, pos = read_u("I", data, pos)
        if key == "general.alignment":
            alignment = struct.unpack_from("<I", data, pos)[0]
        pos = skip_value(data, pos, vtype)
    tensors = {}
    for _ in range(n_tensors):
        nlen, pos = read_u("Q", data, pos)
        name = data[pos:pos + nlen].decode()
        pos += nlen
        n_dims, pos = read_u("I", data, pos)
        dims = struct.unpack_from(f"<{n_dims}Q", data, pos)
        pos += 8 * n_dims
        ttype, pos = read_u("I", data, pos)
        offset, pos = read_u("Q", data, pos)
        tensors[name] = (ttype, dims, offset)
    data_start = (pos + alignment - 1) // alignment * alignment
    return data, data_start, tensors


def main():
    in_path, out_path, report_path = sys.argv[1:4]
    report = json.load(open(report_path))
    a, a_start, a_tensors = parse(in_path)
    b, b_start, b_tensors = parse(out_path)
    failures = []
    if a[:a_start] != b[:b_start]:
        failures.append("header bytes differ")
    changed = set(report["rewritten_tensors"])
    if not set(report["changed_tensors"]) <= changed:
        failures.append("changed_tensors is not a subset of rewritten_tensors")
    names = list(a_tensors)
    ends = sorted(t[2] for t in a_tensors.values()) + [len(a) - a_start]
    diffs = {row["tensor"]: row for s in report["stages"] if s["stage"] == "eval.tensor_diff" for row in s["results"]}
    for name in names:
        ttype, dims, offset = a_tensors[name]
        end = ends[ends.index(offset) + 1]
        before, after = a[a_start + offset:a_start + end], b[b_start + offset:b_start + end]
        if name not in changed:
            if before != after:
                failures.append(f"{name}: not selected but its data changed")
            continue
        if (before != after) != (name in report["changed_tensors"]):
            failures.append(f"{name}: changed_tensors disagrees with the bytes")
        assert ttype == 0, f"{name} is not F32"
        count = 1
        for d in dims:
            count *= d
        x = struct.unpack_from(f"<{count}I", before)
        y = struct.unpack_from(f"<{count}I", after)
        expected = [v & 0xFFFF0000 for v in x]
        if list(y) != expected:
            failures.append(f"{name}: output is not the input truncated to BF16")
        fx = struct.unpack(f"<{count}f", struct.pack(f"<{count}I", *x))
        fy = struct.unpack(f"<{count}f", struct.pack(f"<{count}I", *expected))
        errs = [abs(p - q) for p, q in zip(fx, fy)]
        n_changed = sum(1 for p, q in zip(x, expected) if p != q)
        max_abs, mean_abs = max(errs), sum(errs) / count
        max_rel = max((e / abs(p) for e, p in zip(errs, fx) if p != 0), default=0.0)
        row = diffs.get(name)
        if row is None:
            failures.append(f"{name}: no eval.tensor_diff row")
            continue
        for key, want in (("changed", n_changed), ("max_abs", max_abs), ("mean_abs", mean_abs), ("max_rel", max_rel)):
            got = row[key]
            if abs(got - want) > 1e-9 * max(1.0, abs(want)):
                failures.append(f"{name}: {key} reported {got}, recomputed {want}")
        print(f"{name}: {n_changed} of {count} values changed, max abs {max_abs:.6g}, mean abs {mean_abs:.6g}, max rel {max_rel:.6g}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


main()
