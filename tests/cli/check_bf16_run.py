"""Independent check of a bf16_truncate run, straight from the GGUF bytes (no qframe code).

usage: check_bf16_run.py INPUT OUTPUT REPORT.json

Parses both files' headers itself, then checks that
  - the header bytes (metadata but for the qframe.* keys, tensor infos) are identical, the
    qframe.* keys name the input, and every tensor the run did not change has identical data;
  - every changed tensor is the input's F32 data with the low 16 bits of each value cleared;
  - eval.tensor_diff's numbers (changed count, max abs, mean abs, max rel) match a recomputation.
Prints one line per changed tensor; exits 1 on any mismatch.
"""
import json
import os
import struct
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_bytes import Gguf, provenance  # noqa: E402


def main():
    in_path, out_path, report_path = sys.argv[1:4]
    report = json.load(open(report_path))
    a_file, b_file = Gguf(in_path), Gguf(out_path)
    a, a_start, a_tensors = a_file.data, a_file.data_start, a_file.tensors
    b, b_start = b_file.data, b_file.data_start
    failures = []
    if a_file.without_provenance() != b_file.model_keys_beside(a_file) or a_file.infos != b_file.infos:
        failures.append("header bytes differ (other than the qframe.* keys)")
    failures += provenance(b_file, in_path)
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
