# SPDX-License-Identifier: MIT
"""The fraud pipeline's first step: card transactions, split into train.csv and test.csv.

Without --raw it generates ROWS transactions from SEED (the same seed gives the same bytes, so
a rerun's outputs have the same digests and the steps downstream stay cached). With --raw (a
CSV file, or a directory holding transactions.csv or one *.csv, as a data: input is fetched)
it reads transactions with the same columns and only splits them.

Columns: the FEATURES below (all numbers) and is_fraud (0 or 1). Standard library only."""
import argparse
import csv
import math
import os
import random
import sys

FEATURES = ["amount", "hour", "merchant_risk", "distance_km", "tx_24h", "foreign", "card_present"]
LABEL = "is_fraud"


def generate(rows, seed):
    """ROWS transactions; about 10% are fraud, more likely for large amounts, risky merchants,
    far from home, at night, abroad, and card not present."""
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        amount = round(math.exp(rng.gauss(3.6, 1.0)), 2)
        hour = rng.randrange(24)
        risk = round(rng.betavariate(2, 5), 4)
        dist = round(rng.expovariate(1 / 20.0), 2)
        tx24 = rng.randrange(12)
        foreign = 1 if rng.random() < 0.1 else 0
        present = 1 if rng.random() < 0.6 else 0
        night = 1 if hour < 6 else 0
        z = (-9.2 + 0.9 * math.log(amount + 1) + 6.0 * risk + 0.03 * dist + 0.2 * tx24
             + 2.0 * foreign - 2.2 * present + 1.5 * night)
        fraud = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
        out.append([amount, hour, risk, dist, tx24, foreign, present, fraud])
    return out


def read_raw(path):
    """The rows of a transactions CSV (a file, or a directory holding one)."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith(".csv"))
        if "transactions.csv" in names:
            names = ["transactions.csv"]
        if len(names) != 1:
            sys.exit("prep.py: %s holds %d CSV files; expected transactions.csv or exactly one"
                     % (path, len(names)))
        path = os.path.join(path, names[0])
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        missing = [c for c in FEATURES + [LABEL] if c not in (r.fieldnames or [])]
        if missing:
            sys.exit("prep.py: %s lacks the columns %s" % (path, ", ".join(missing)))
        return [[float(row[c]) for c in FEATURES] + [int(row[LABEL])] for row in r]


def write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(FEATURES + [LABEL])
        w.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20000, help="transactions to generate")
    ap.add_argument("--seed", type=int, default=7, help="generator and split seed")
    ap.add_argument("--raw", help="read transactions from this CSV (or directory) instead")
    ap.add_argument("--test-fraction", type=float, default=0.25)
    ap.add_argument("--train", required=True, help="where to write the training rows")
    ap.add_argument("--test", required=True, help="where to write the test rows")
    a = ap.parse_args()
    if not 0 < a.test_fraction < 1:
        sys.exit("prep.py: --test-fraction must be between 0 and 1")
    rows = read_raw(a.raw) if a.raw else generate(a.rows, a.seed)
    if len(rows) < 20:
        sys.exit("prep.py: %d transactions are too few to train on" % len(rows))
    random.Random(a.seed + 1).shuffle(rows)
    cut = int(len(rows) * (1 - a.test_fraction))
    write(a.train, rows[:cut])
    write(a.test, rows[cut:])
    fraud = sum(r[-1] for r in rows)
    print("prep: %d transactions (%d fraud, %.1f%%): %d to train, %d to test"
          % (len(rows), fraud, 100.0 * fraud / len(rows), cut, len(rows) - cut))


if __name__ == "__main__":
    main()
