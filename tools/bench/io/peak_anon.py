#!/usr/bin/env python3
"""Runs a command and prints its peak anonymous memory (RssAnon) and peak RSS, in MiB.

  tools/bench/io/peak_anon.py -- COMMAND [ARGS...]

No public tool reports the peak of RssAnon (/usr/bin/time gives the peak RSS, which counts the
mapped model's file pages too; the kernel keeps no high-water mark for anonymous pages), so
/proc/PID/status is read every 5 ms while the command runs. A peak shorter than that can be
missed; allocations of tensors last far longer. Stdlib only.
"""
import subprocess
import sys
import time


def status_kib(pid):
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("RssAnon", "VmHWM"):
                    values[key] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return values


def main():
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    start = time.monotonic()
    child = subprocess.Popen(args)
    peak_anon = peak_rss = 0
    while child.poll() is None:
        v = status_kib(child.pid)
        peak_anon = max(peak_anon, v.get("RssAnon", 0))
        peak_rss = max(peak_rss, v.get("VmHWM", 0))
        time.sleep(0.005)
    wall = time.monotonic() - start
    print(f"peak RssAnon {peak_anon / 1024:.0f} MiB, peak RSS {peak_rss / 1024:.0f} MiB, wall {wall:.2f} s, exit {child.returncode}")
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
