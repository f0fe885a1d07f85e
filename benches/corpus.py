#!/usr/bin/env python3
"""Measures what the score does not: statuses, excerpts and suspects.

Reads a labelled corpus (a `cases.tsv` with columns id, log, expected and
lines; `none` marks a clean build) and runs the release binary on it:

  status      failing logs not called clean; clean logs called clean
  excerpts    each failing log cut to its first root line with three lines
              either side: the top finding is the same as on the whole log
  suspects    each failing log with its expected rule switched off
              (`--disable`, and then any other rule that still names a
              cause): how often a root line is among the top three suspects

Usage: corpus.py [--bin PATH] --corpus DIR [--show]
"""
import argparse
import csv
import json
import os
import subprocess
import tempfile


def run(binary, path, *extra):
    p = subprocess.run([binary, "--format", "json", *extra, path], capture_output=True, timeout=60)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return None


def top(doc):
    f = (doc or {}).get("findings") or []
    return f[0]["rule"] if f else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/buildmedic")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--show", action="store_true", help="print every miss")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(os.path.join(a.corpus, "cases.tsv")), delimiter="\t"))
    listed = subprocess.run([a.bin, "rules", "list"], capture_output=True, text=True).stdout
    ids = {line.split()[0] for line in listed.splitlines() if line.strip()}

    failing = [r for r in rows if r["expected"] != "none"]
    clean = [r for r in rows if r["expected"] == "none"]
    misses = []
    called_clean = 0
    for r in failing:
        doc = run(a.bin, os.path.join(a.corpus, r["log"]))
        if doc and doc["status"] == "clean":
            called_clean += 1
            misses.append(f"{r['id']}: failing log called clean")
    clean_ok = 0
    for r in clean:
        doc = run(a.bin, os.path.join(a.corpus, r["log"]))
        if doc and doc["status"] == "clean":
            clean_ok += 1
        else:
            misses.append(f"{r['id']}: clean log called {doc and doc['status']}")

    same = total = 0
    hits = tried = 0
    with tempfile.TemporaryDirectory() as tmp:
        for r in failing:
            field = r.get("root_lines", r.get("lines", ""))
            roots = [int(x) for x in field.split(",") if x.strip().isdigit()]
            if not roots:
                continue
            path = os.path.join(a.corpus, r["log"])
            with open(path, "rb") as f:
                lines = f.read().split(b"\n")
            whole = top(run(a.bin, path))
            lo, hi = max(roots[0] - 4, 0), roots[0] + 3
            cut = os.path.join(tmp, f"{r['id']}.log")
            with open(cut, "wb") as f:
                f.write(b"\n".join(lines[lo:hi]) + b"\n")
            total += 1
            got = top(run(a.bin, cut))
            if got == whole:
                same += 1
            else:
                misses.append(f"{r['id']}: excerpt gives {got}, whole log {whole}")
            if r["expected"] in ids:
                tried += 1
                # Switch off the expected rule, then any other rule that
                # still claims the failure: the suspects are what is left
                # when no rule knows the cause.
                off = [r["expected"]]
                for _ in range(6):
                    doc = run(a.bin, path, *[x for id in off for x in ("--disable", id)])
                    more = [f["rule"] for f in (doc or {}).get("findings", [])
                            if f["severity"] == "error" and f["kind"] == "specific"]
                    if not more:
                        break
                    off += more
                suspects = [s["line"] for i in (doc or {}).get("inputs", []) for s in i.get("suspects", [])]
                if any(line in roots for line in suspects[:3]):
                    hits += 1
                else:
                    misses.append(f"{r['id']}: with {r['expected']} off, suspects {suspects[:3]}, roots {roots}")

    print(f"failing logs not called clean: {len(failing) - called_clean}/{len(failing)}")
    print(f"clean logs called clean:       {clean_ok}/{len(clean)}")
    print(f"excerpts, same top finding:    {same}/{total}")
    print(f"rule left out, root in top 3 suspects: {hits}/{tried}")
    if a.show:
        for m in misses:
            print("  " + m)


if __name__ == "__main__":
    main()
