#!/usr/bin/env python3
"""Two nights of one customer's exports, for the update-heavy benchmark (issue 14).

    gen_update_night.py STORED NEW OUT_DIR [--update-share 0.6]

STORED and NEW are files `driftline samples generate` wrote for the same customer with different seeds
(different claim ids). Writes:

  OUT_DIR/night1.csv   the night before: every claim of STORED, with the claims that the next night
                       decides written as they were then — pending (no decided_date, no allowed or paid
                       amount, no denial reason);
  OUT_DIR/night2.csv   the update-heavy night: UPDATE_SHARE of its rows are those claims, now decided
                       (STORED's own decided rows: pending -> paid or denied, amounts set), the rest are
                       new claims (the first rows of NEW), shuffled the way an export interleaves them;
  OUT_DIR/updates.csv  the all-updates night: every claim of night1 decided or, for claims night1
                       already had decided, corrected (allowed and paid amounts changed by a cent).

Night 2 has as many rows as STORED. Deterministic (fixed random seed).
"""
import argparse
import csv
import random
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("stored")
    parser.add_argument("new")
    parser.add_argument("out_dir")
    parser.add_argument("--update-share", type=float, default=0.6)
    args = parser.parse_args()
    rng = random.Random(14)

    with open(args.stored, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        stored = list(reader)
    col = {name: i for i, name in enumerate(header)}
    total = len(stored)
    want = int(total * args.update_share)
    decided = [i for i, row in enumerate(stored) if row[col["outcome"]] != "pending"]
    if len(decided) < want:
        print(f"only {len(decided)} decided rows, {want} wanted", file=sys.stderr)
        return 1
    chosen = set(rng.sample(decided, want))

    def pended(row):
        row = list(row)
        row[col["outcome"]] = "pending"
        row[col["decided_date"]] = ""
        row[col["denial_reason"]] = ""
        row[col["allowed_amount"]] = ""
        row[col["paid_amount"]] = ""
        return row

    def corrected(row):
        # Allowed and paid a cent lower (paid <= allowed <= billed holds), same dates: same version, new values.
        row = list(row)
        for name in ("allowed_amount", "paid_amount"):
            value = row[col[name]]
            if value and float(value) >= 0.01:
                row[col[name]] = f"{float(value) - 0.01:.2f}"
        return row

    with open(f"{args.out_dir}/night1.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for i, row in enumerate(stored):
            writer.writerow(pended(row) if i in chosen else row)

    night2 = [stored[i] for i in sorted(chosen)]
    with open(args.new, newline="") as f:
        reader = csv.reader(f)
        if next(reader) != header:
            print("the two files have different headers", file=sys.stderr)
            return 1
        for row in reader:
            if len(night2) == total:
                break
            night2.append(row)
    if len(night2) < total:
        print(f"NEW has too few rows: night 2 would have {len(night2)} of {total}", file=sys.stderr)
        return 1
    rng.shuffle(night2)
    with open(f"{args.out_dir}/night2.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(night2)

    with open(f"{args.out_dir}/updates.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for i, row in enumerate(stored):
            writer.writerow(row if i in chosen else corrected(row))
    print(f"night1 {total} rows ({want} pending then), night2 {total} rows ({want} updates), updates {total} rows",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
