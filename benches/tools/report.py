#!/usr/bin/env python3
"""Prints the results of benches/bench.sh as one table per scenario.

Input: TSV lines `scenario, case, tool, value, unit`; value is a number or
"n/a (why)". Tools named @note, @total and @throughput are directives: a note
under the table, a row summing the cases, a GB/s row for one case.
"""
import argparse
import csv
import sys
from collections import OrderedDict


def number(value):
    try:
        return float(value)
    except ValueError:
        return None


def fmt(value, unit):
    n = number(value)
    if n is None:
        return value
    if unit == "GB/s" or n < 1:
        return f"{n:.2f} {unit}" if n >= 0.1 else f"{n:.3f} {unit}"
    return f"{n:.1f} {unit}" if n < 10_000 else f"{n:.0f} {unit}"


class Scenario:
    def __init__(self):
        self.tools = []
        self.cases = OrderedDict()  # case -> {tool: (value, unit)}
        self.notes = []

    def add(self, case, tool, value, unit):
        if tool not in self.tools:
            self.tools.append(tool)
        self.cases.setdefault(case, {})[tool] = (value, unit)


def rows_of(paths):
    for path in paths:
        with open(path, newline="") as f:
            yield from csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)


def load(paths):
    """Later files win for the same scenario, case and tool, so a run of one
    tool can be merged over an earlier run of all of them. Totals and rates
    are computed once every file is read."""
    scenarios = OrderedDict()
    directives = []
    for row in rows_of(paths):
        if len(row) < 5:
            continue
        name, case, tool, value, unit = row[:5]
        sc = scenarios.setdefault(name, Scenario())
        if tool == "@note":
            if value not in sc.notes:
                sc.notes.append(value)
        elif tool in ("@total", "@throughput"):
            if (name, case, tool, value) not in directives:
                directives.append((name, case, tool, value))
        else:
            sc.add(case, tool, value, unit)
    for name, case, tool, value in directives:
        if tool == "@total":
            add_total(scenarios[name])
        else:
            add_throughput(scenarios[name], case, float(value))
    return scenarios


def add_total(sc):
    sums = {}
    for tool in sc.tools:
        cells = [c.get(tool) for c in sc.cases.values()]
        if all(c is not None and number(c[0]) is not None for c in cells):
            sums[tool] = (str(sum(number(c[0]) for c in cells)), cells[0][1])
        else:
            sums[tool] = ("n/a", "")
    sc.cases["total"] = sums


def add_throughput(sc, case, nbytes):
    row = {}
    for tool, (value, _unit) in sc.cases.get(case, {}).items():
        ms = number(value)
        row[tool] = (str(nbytes / (ms / 1000) / 1e9), "GB/s") if ms else ("n/a", "")
    sc.cases[f"{case}, GB/s (higher is better)"] = row


def table(name, sc, runs):
    strata = "strata" if "strata" in sc.tools else None
    peers = [t for t in sc.tools if t != strata]
    header = ["case"] + sc.tools + ([f"strata/{p}" for p in peers] if strata else [])
    rows = []
    for case, cells in sc.cases.items():
        row = [case] + [fmt(*cells[t]) if t in cells else "" for t in sc.tools]
        if strata:
            s = number(cells.get(strata, ("", ""))[0])
            for p in peers:
                v = number(cells.get(p, ("", ""))[0])
                row.append(f"{s / v:.2f}" if s is not None and v else "n/a")
        rows.append(row)
    return f"{name} (median of {runs} run{'s' if runs != 1 else ''})", header, rows


def print_plain(scenarios, runs, out):
    for name, sc in scenarios.items():
        title, header, rows = table(name, sc, runs)
        widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
        print(f"== {title} ==", file=out)
        for r in [header] + rows:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip(), file=out)
        for n in sc.notes:
            print(f"   note: {n}", file=out)
        print(file=out)


def print_markdown(scenarios, runs, out):
    for name, sc in scenarios.items():
        title, header, rows = table(name, sc, runs)
        print(f"### {title}\n", file=out)
        print("| " + " | ".join(header) + " |", file=out)
        print("|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|", file=out)
        for r in rows:
            print("| " + " | ".join(r) + " |", file=out)
        if sc.notes:
            print(file=out)
            for n in sc.notes:
                print(f"- {n}", file=out)
        print(file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", nargs="+", help="results files of bench.sh --results, merged in order")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    scenarios = load(args.results)
    (print_markdown if args.markdown else print_plain)(scenarios, args.runs, sys.stdout)


if __name__ == "__main__":
    main()
