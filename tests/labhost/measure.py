#!/usr/bin/env python3
"""The figures the lab-host tests assert on, from a daxlab results folder.

    measure.py RESULTS_DIR

prints KEY=VALUE lines (bytes, integers):

  SRC.STAT.NODE        the last value of stats.csv (NODE: N0, N1, total),
                       for file and shmem of every source
  SRC.pagecache.NODE   file - shmem at the last tick
  SRC.growth.NODE      the growth of file - shmem from the first value
  vmID.fio.SET         bytes fio read in that VM from the jobs of SET
                       (shared, private), from fio.json by the VM's fio.sock
  res.SET.VM.VIA.NODE  residency-end.csv (VM empty for the shared set)
  prov.KEY             provenance.txt
"""
import csv
import json
import os
import re
import sys


def load_stats(path):
    """The first and the last value of each (source, stat, node): a remote
    source may miss ticks, so each key has its own first and last tick."""
    first, last = {}, {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["stat"] not in ("file", "shmem"):
                continue
            key = (row["source"], row["stat"], row["node"])
            v = (int(row["elapsed_ms"]), int(row["value"]))
            if key not in first or v[0] < first[key][0]:
                first[key] = v
            if key not in last or v[0] >= last[key][0]:
                last[key] = v
    return ({k: v for k, (t, v) in first.items()},
            {k: v for k, (t, v) in last.items()})


def main():
    d = sys.argv[1]
    out = {}
    prov = {}
    with open(os.path.join(d, "provenance.txt")) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition(" = ")
            if sep:
                prov[k] = v
                out["prov." + k] = v

    first, last = load_stats(os.path.join(d, "stats.csv"))
    for (src, stat, node), v in sorted(last.items()):
        out[f"{src}.{stat}.{node}"] = v
        if stat == "file" and (src, "shmem", node) in last:
            pc = v - last[(src, "shmem", node)]
            out[f"{src}.pagecache.{node}"] = pc
            if (src, "file", node) in first and (src, "shmem", node) in first:
                pc0 = first[(src, "file", node)] - first[(src, "shmem", node)]
                out[f"{src}.growth.{node}"] = pc - pc0

    text = open(os.path.join(d, "fio.json")).read()
    j = json.loads(text[text.index("{"):])
    for c in j.get("client_stats", []):
        if c.get("jobname") == "All clients":
            continue
        # fio's host of a VM: ssh's forward state_dir/vm-ID/fio.sock
        m = re.search(r"/vm-([^/]+)/fio\.sock$", c.get("hostname", ""))
        if m is None:
            continue
        vm = m.group(1)
        s = c["jobname"].split("-")[0]
        k = f"vm{vm}.fio.{s}"
        out[k] = out.get(k, 0) + int(c["read"]["io_bytes"])

    # the end-of-run table (residency.csv is the tidy samples over time)
    with open(os.path.join(d, "residency-end.csv"), newline="") as f:
        for row in csv.DictReader(f):
            k = f"res.{row['set']}.{row['vm']}.{row['via']}.{row['node']}"
            out[k] = int(row["resident"])

    for k, v in out.items():
        print(f"{k}={v}")


if __name__ == "__main__":
    main()
