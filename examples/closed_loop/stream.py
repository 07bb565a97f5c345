# SPDX-License-Identifier: MIT
"""The transactions stream, seeded, with a concept drift at a known time.

Three inputs, one label (is_fraud, 0/1). Before the drift the label is
  amount + 0.8 * distance - 0.5 * velocity > 0.3
After it, the relation changes (distance now speaks the other way) AND an input shifts
(distance moves from N(0, 1) to N(1.2, 1)):
  amount - 0.8 * distance - 0.5 * velocity + 1.0 > 0.3
so the drift monitor sees the inputs move and the decay monitor sees the champion's accuracy
fall once the labels come in. 3% of the labels are flipped (noise) in both regimes.

  python3 stream.py bootstrap DIR [--rows N]   writes DIR/train.csv and DIR/test.csv (pre-drift)
"""
import argparse
import csv
import os
import random

COLUMNS = ["amount", "distance", "velocity"]
TARGET = "is_fraud"
NOISE = 0.03


def row(rng, drifted):
    """One transaction: ([amount, distance, velocity], label)."""
    amount = rng.gauss(0, 1)
    distance = rng.gauss(1.2 if drifted else 0.0, 1)
    velocity = rng.gauss(0, 1)
    if drifted:
        y = int(amount - 0.8 * distance - 0.5 * velocity + 1.0 > 0.3)
    else:
        y = int(amount + 0.8 * distance - 0.5 * velocity > 0.3)
    if rng.random() < NOISE:
        y = 1 - y
    return [round(amount, 4), round(distance, 4), round(velocity, 4)], y


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS + [TARGET])
        for x, y in rows:
            w.writerow(x + [y])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=["bootstrap"])
    ap.add_argument("dir")
    ap.add_argument("--rows", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=21)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    rows = [row(rng, False) for _ in range(a.rows)]
    cut = int(len(rows) * 0.7)
    os.makedirs(a.dir, exist_ok=True)
    write_csv(os.path.join(a.dir, "train.csv"), rows[:cut])
    write_csv(os.path.join(a.dir, "test.csv"), rows[cut:])
    print("wrote %d pre-drift rows to %s (train.csv %d, test.csv %d)"
          % (len(rows), a.dir, cut, len(rows) - cut))


if __name__ == "__main__":
    main()
