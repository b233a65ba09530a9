#!/usr/bin/env python3
"""Times two commands in turn (A B A B ...) with /usr/bin/time and prints medians and the median
of the pair-by-pair ratio A/B: pairing keeps the ratio meaningful on a shared, drifting machine.

  tools/bench/paired_time.py [-n RUNS] [--warmup N] [--prepare 'SHELL COMMAND'] --vs 'COMMAND B' -- COMMAND A...

COMMAND B is split as a shell splits words. --prepare runs (through sh, untimed) before every
timed run, as hyperfine's does: e.g. removing the last run's output and `sync`, so that each run
starts from the same state. Wall, user and system seconds and the peak RSS are
GNU time's own figures (/usr/bin/time -f); stdout and stderr of the commands are discarded.
Stdlib only.
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile

FIELDS = ("wall", "user", "sys", "rss_mib")


def timed(cmd, prepare=None):
    if prepare:
        subprocess.check_call(["sh", "-c", prepare])
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        code = subprocess.call(["/usr/bin/time", "-o", out.name, "-f", "%e %U %S %M"] + cmd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, user, sys_s, rss = out.read().split()[-4:]
    if code != 0:
        sys.exit(f"exit {code}: {' '.join(cmd)}")
    return dict(zip(FIELDS, (float(wall), float(user), float(sys_s), int(rss) / 1024)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--vs", required=True)
    p.add_argument("--prepare")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    a = args.command[1:] if args.command[:1] == ["--"] else args.command
    b = shlex.split(args.vs)
    for _ in range(args.warmup):
        timed(a, args.prepare), timed(b, args.prepare)
    runs = [(timed(a, args.prepare), timed(b, args.prepare)) for _ in range(args.n)]
    for name, k in (("A", 0), ("B", 1)):
        cols = "  ".join(f"{f} {statistics.median(r[k][f] for r in runs):.2f}" for f in FIELDS)
        print(f"{name}: median {cols}  ({' '.join(a if k == 0 else b)})")
    ratios = sorted(r[0]["wall"] / r[1]["wall"] for r in runs)
    print(f"A/B wall: median {statistics.median(ratios):.3f} (pairs {ratios[0]:.3f} … {ratios[-1]:.3f}, n {args.n})")


if __name__ == "__main__":
    main()
