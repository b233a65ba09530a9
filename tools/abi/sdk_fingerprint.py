#!/usr/bin/python3
"""Ties the plugin ABI version to the SDK headers, so a header change cannot ship without a bump.

The fingerprint is a SHA-256 of the headers under framework/include/qframe/ as token streams:
comments, whitespace and the value of QFRAME_PLUGIN_ABI_VERSION are left out, so only edits that
can change what a plugin compiles against move it. framework/sdk-abi.txt records the fingerprint
of every ABI version.

  sdk_fingerprint.py check  [--sdk DIR] [--record FILE]  exit 0 if the record has this ABI with
                                                         these headers, else 1 and what to do
  sdk_fingerprint.py record [--sdk DIR] [--record FILE]  append the line for a new ABI version
  sdk_fingerprint.py print  [--sdk DIR]                  print the fingerprint
"""
import argparse
import hashlib
import os
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SDK = ROOT / "framework/include/qframe"
DEFAULT_RECORD = ROOT / "framework/sdk-abi.txt"
SCRIPT = "tools/abi/sdk_fingerprint.py"

# ---- C++ tokens: enough of translation phases 1-3 that comments and spacing cannot matter ----

PUNCTUATORS = sorted("<=> <<= >>= ->* ... :: -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= ## .*"
                     .split(), key=len, reverse=True)
RAW_STRING = re.compile(r'(?:u8|u|U|L)?R"([^()\\\s]{0,16})\(')
QUOTED = re.compile(r'''(?:u8|u|U|L)?(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')''')
PP_NUMBER = re.compile(r"\.?[0-9](?:[eEpP][+-]|'[0-9A-Za-z_]|[0-9A-Za-z_.])*")  # 1'000, 0x1p-3
IDENTIFIER = re.compile(r"[A-Za-z_\x80-\U0010ffff][0-9A-Za-z_\x80-\U0010ffff]*")
DIRECTIVE_END = "\n"  # a directive ends at its line's end: joining lines can change the meaning


def tokens(text):
    """The tokens of a C++ source, without comments; each preprocessor directive ends in "\\n"."""
    text = text.replace("\r\n", "\n").replace("\\\n", "") + "\n"  # line splices go first, as in C++
    out, i, line_start, directive = [], 0, True, False
    while i < len(text):
        c = text[i]
        if c == "\n":
            if directive:
                out.append(DIRECTIVE_END)
            i, line_start, directive = i + 1, True, False
            continue
        if c in " \t\v\f\r":
            i += 1
            continue
        if text.startswith("//", i):
            i = text.index("\n", i)
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ValueError("unterminated /* comment")
            i = end + 2
            continue
        if m := RAW_STRING.match(text, i):
            end = text.find(")" + m[1] + '"', m.end())
            if end < 0:
                raise ValueError("unterminated raw string")
            token = text[i:end + len(m[1]) + 2]
        elif m := (QUOTED.match(text, i) or PP_NUMBER.match(text, i) or IDENTIFIER.match(text, i)):
            token = m[0]
        else:  # an operator, or any other single character
            token = next((p for p in PUNCTUATORS if text.startswith(p, i)), c)
        directive = directive or (line_start and token == "#")
        out.append(token)
        i, line_start = i + len(token), False
    return out


def without_abi_number(toks):
    """The tokens with QFRAME_PLUGIN_ABI_VERSION's value left out. The record pairs number and
    fingerprint, so a bump with no header change, or a number set back, shows as such."""
    return ["<ABI>" if k >= 2 and toks[k - 2:k] == ["define", "QFRAME_PLUGIN_ABI_VERSION"] else t
            for k, t in enumerate(toks)]


def fingerprint(sdk):
    """SHA-256 of the headers sorted by relative path: each path, then its tokens joined by spaces."""
    files = sorted((p.relative_to(sdk).as_posix(), p) for p in Path(sdk).rglob("*.hpp"))
    if not files:
        raise ValueError(f"no .hpp files under {sdk}")
    h = hashlib.sha256()
    for rel, path in files:
        try:
            stream = " ".join(without_abi_number(tokens(path.read_text(encoding="utf-8"))))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        h.update(f"{rel}\0{stream}\0".encode())
    return h.hexdigest()

# ---- the record and the verdict ----


def current_abi(sdk):
    plugin_hpp = Path(sdk) / "plugin.hpp"
    text = plugin_hpp.read_text(encoding="utf-8")
    m = re.search(r"^\s*#\s*define\s+QFRAME_PLUGIN_ABI_VERSION\s+(\d+)u?\b", text, re.M)
    if not m:
        raise ValueError(f"{plugin_hpp}: no '#define QFRAME_PLUGIN_ABI_VERSION <number>'")
    return int(m[1])


def read_record(path):
    """{abi: fingerprint}, in file order; ABI numbers must increase, so each appears once."""
    record = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"(\d+) ([0-9a-f]{64})", line)
        if not m:
            raise ValueError(f"{path}:{n}: expected 'ABI FINGERPRINT' (a number and 64 hex digits)")
        abi = int(m[1])
        if record and abi <= max(record):
            raise ValueError(f"{path}:{n}: ABI {abi} after ABI {max(record)}; numbers must increase")
        record[abi] = m[2]
    return record


def verdict(abi, fp, record, plugin_hpp, record_cmd):
    """None if the record has exactly this ABI with this fingerprint, else what to do (a paragraph)."""
    if record.get(abi) == fp:
        return None
    last = max(record, default=0)
    bump = (f"bump QFRAME_PLUGIN_ABI_VERSION in {plugin_hpp} to {last + 1} and run `{record_cmd}`, "
            "so that plugins built against the old headers are refused instead of crashing.")
    same = max((a for a, f in record.items() if f == fp), default=None)  # the newest with these headers
    if same is not None and same > abi:  # the number went back but the headers did not
        return (f"the SDK headers are those recorded for ABI {same}, but QFRAME_PLUGIN_ABI_VERSION "
                f"is {abi}: set it to {same} in {plugin_hpp}.")
    if abi in record:
        again = "" if same is None else f" (they are those of ABI {same} again, but ABI {abi} plugins exist)"
        return f"the SDK headers changed since ABI {abi} was recorded{again}: {bump}"
    if abi < last:
        return (f"ABI {abi} is older than the last recorded ABI {last}, and the SDK headers are new "
                f"to the record: {bump}")
    if same == last:  # bumped with nothing changed: that needlessly breaks every plugin
        return (f"ABI {abi} is not recorded, and the SDK headers are the same as recorded for ABI "
                f"{last}, so plugins built against ABI {last} still fit: set QFRAME_PLUGIN_ABI_VERSION "
                f"in {plugin_hpp} back to {last}; if the bump is meant (a change of meaning the headers "
                f"do not show), run `{record_cmd}`.")
    return f"ABI {abi} is not recorded yet: run `{record_cmd}`."


def shown(path):
    """A path as the user would type it: relative to the working directory when under it."""
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(Path(path).resolve())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "record", "print"])
    parser.add_argument("--sdk", help="the SDK header folder (default: framework/include/qframe)")
    parser.add_argument("--record", help="the record file (default: framework/sdk-abi.txt)")
    args = parser.parse_args()
    sdk = Path(args.sdk or DEFAULT_SDK)
    record_path = Path(args.record or DEFAULT_RECORD)
    try:
        fp = fingerprint(sdk)
        if args.command == "print":
            print(fp)
            return 0
        abi, record = current_abi(sdk), read_record(record_path)
    except (OSError, ValueError) as e:
        print(f"sdk_fingerprint: {e}", file=sys.stderr)
        return 2
    if args.command == "record" and abi > max(record, default=0):
        text = record_path.read_text(encoding="utf-8")
        separator = "\n" if text and not text.endswith("\n") else ""
        record_path.write_text(f"{text}{separator}{abi} {fp}\n", encoding="utf-8")
        print(f"recorded ABI {abi}: {fp}")
        return 0
    options = [f"--{o} {shlex.quote(v)}" for o, v in (("sdk", args.sdk), ("record", args.record)) if v]
    record_cmd = " ".join([SCRIPT, "record", *options])  # repeats the options, so it can be pasted
    problem = verdict(abi, fp, record, shown(sdk / "plugin.hpp"), record_cmd)
    if problem:
        print(f"SDK ABI check failed: {problem}", file=sys.stderr)
        return 1
    print(f"ABI {abi} is recorded with these SDK headers ({fp})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
