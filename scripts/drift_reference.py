#!/usr/bin/env python3
"""Reference values for Driftline's drift statistics, computed by statsmodels, scipy and numpy.

The Swift implementation (Sources/DriftlineCore/Drift/) is tested against this script's output, which is
committed as Tests/Fixtures/drift_reference.json. Regenerate it with

    python3 scripts/drift_reference.py > Tests/Fixtures/drift_reference.json

(needs `pip install statsmodels scipy numpy`). The test suite also re-runs this script when statsmodels and
scipy are importable and checks that it still reproduces the committed file.

Conventions, the same as the Swift side:
- denial rate: "baseline" is the earlier window, "current" the later one; the difference is
  current - baseline, so statsmodels is called with the current window first.
- decision time: histograms are lists of [days, count]; they are expanded to samples here. The U statistic
  is the current window's (`mannwhitneyu(current, baseline)`).
- a value statsmodels leaves undefined (NaN, e.g. the z statistic when both windows have a 0% or a 100%
  rate) is written as null.
"""

import json
import math
import sys

import numpy as np
import scipy
import statsmodels
from scipy.stats import mannwhitneyu
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

# (name, baseline denied, baseline decided, current denied, current decided)
DENIAL_CASES = [
    # Newcombe (1998) Table II, examples (a)-(h): current = the first proportion of each example.
    ("newcombe_a", 48, 80, 56, 70),
    ("newcombe_b", 3, 10, 9, 10),
    ("newcombe_c", 2, 7, 6, 7),
    ("newcombe_d", 0, 29, 5, 56),
    ("newcombe_e", 0, 20, 0, 10),
    ("newcombe_f", 0, 10, 0, 10),
    ("newcombe_g", 0, 20, 10, 10),
    ("newcombe_h", 0, 10, 10, 10),
    ("baseline_zero_denials", 0, 400, 40, 400),
    ("equal_rates", 20, 200, 40, 400),
    ("large_n_small_effect", 100_000, 1_000_000, 103_000, 1_000_000),
    ("small_n", 1, 3, 2, 4),
    ("moderate", 120, 1000, 150, 900),
    ("p_below_1e-12", 100, 1000, 220, 1000),
    ("extreme_worse", 50, 1000, 300, 1000),
    ("extreme_better", 400, 2000, 100, 2000),
    ("all_denied", 100, 100, 50, 50),
    ("current_all_denied", 30, 60, 60, 60),
]

# (name, baseline histogram, current histogram)
DECISION_CASES = [
    ("small_with_ties", [[1, 2], [2, 3], [3, 1]], [[2, 1], [3, 4], [5, 2]]),
    ("heavy_ties", [[10, 500], [11, 300]], [[10, 300], [11, 500], [12, 10]]),
    ("identical_shape", [[5, 10], [10, 20], [20, 10]], [[5, 20], [10, 40], [20, 20]]),
    ("single_value", [[7, 50]], [[7, 80]]),
    ("extreme_slower", [[d, 40] for d in range(5, 16)], [[d, 30] for d in range(20, 36)]),
    ("extreme_faster", [[d, 30] for d in range(20, 36)], [[d, 40] for d in range(5, 16)]),
    (
        "large_n_shift_one_day",
        [[d, 1 + int(20_000 * math.exp(-((d - 20) ** 2) / 120))] for d in range(0, 61)],
        [[d, 1 + int(20_000 * math.exp(-((d - 21) ** 2) / 120))] for d in range(0, 61)],
    ),
    (
        "large_n_slight_change",
        [[d, 1 + int(20_000 * math.exp(-((d - 20) ** 2) / 120))] for d in range(0, 61)],
        [[d, 1 + int(20_000 * math.exp(-((d - 20) ** 2) / 120) * (1.01 if d > 20 else 1.0))] for d in range(0, 61)],
    ),
    ("zero_median_baseline", [[0, 40], [1, 10], [3, 5]], [[0, 10], [4, 30], [9, 20]]),
    ("even_counts", [[2, 1], [4, 1], [6, 1], [9, 1]], [[1, 2], [3, 2]]),
    ("odd_and_even", [[3, 5], [8, 4]], [[3, 1], [8, 1], [30, 1]]),
    ("long_tail", [[d, max(1, 300 - 10 * d)] for d in range(0, 40)], [[d, max(1, 250 - 6 * d)] for d in range(0, 60)]),
]

BH_CASES = [
    # Benjamini & Hochberg (1995), section 4: the 15 p-values of Neuhaus et al.; at q = 0.05 the four smallest
    # are rejected.
    (
        "benjamini_hochberg_1995",
        [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
         0.6528, 0.7590, 1.0000],
    ),
    ("ties_and_ones", [0.01, 0.01, 0.03, 0.04, 1.0, 1.0, 0.5, 0.02]),
    ("single", [0.2]),
    ("unsorted_with_tiny", [3e-13, 0.7, 0.049, 0.0001, 0.051, 0.9]),
    ("all_large", [0.8, 0.9, 0.95, 0.99]),
]

# A whole run: triples with both windows' aggregates. Tests run where both windows have >= MIN_DECIDED
# decided claims; BH is applied across all tests that were run, in this order (denial rate, then decision
# time, per triple).
MIN_DECIDED = 30
RUN_CASE = [
    # (customer, payer, cpt_group, (b denied, b decided), (c denied, c decided), b histogram, c histogram)
    ("lakeview", "aetna", "E&M", (30, 300), (60, 200), [[5, 100], [10, 150], [20, 50]], [[5, 30], [12, 100], [30, 70]]),
    ("lakeview", "cigna", "Radiology", (10, 200), (12, 180), [[3, 80], [7, 100], [14, 20]], [[3, 60], [8, 100], [14, 20]]),
    ("lakeview", "uhc", "Lab/Pathology", (5, 29), (9, 40), [[2, 29]], [[3, 40]]),
    ("harbor", "aetna", "Surgery", (80, 400), (50, 380), [[10, 200], [20, 200]], [[9, 200], [21, 180]]),
    ("harbor", "humana", "Medicine", (0, 500), (45, 450), [[4, 250], [6, 250]], [[4, 200], [7, 250]]),
    ("harbor", "bcbs", "Anesthesia", (40, 100), (41, 100), [[1, 50], [2, 50]], [[1, 49], [2, 51]]),
]


def finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


def expand(histogram):
    return np.repeat(np.array([d for d, _ in histogram], dtype=float), [c for _, c in histogram])


def denial_case(name, b_denied, b_decided, c_denied, c_decided):
    with np.errstate(divide="ignore", invalid="ignore"):
        z, p = proportions_ztest([c_denied, b_denied], [c_decided, b_decided], alternative="two-sided")
    low, upp = confint_proportions_2indep(
        c_denied, c_decided, b_denied, b_decided, method="newcomb", compare="diff", alpha=0.05
    )
    b_low, b_upp = proportion_confint(b_denied, b_decided, alpha=0.05, method="wilson")
    c_low, c_upp = proportion_confint(c_denied, c_decided, alpha=0.05, method="wilson")
    return {
        "name": name,
        "baseline_denied": b_denied,
        "baseline_decided": b_decided,
        "current_denied": c_denied,
        "current_decided": c_decided,
        "z": finite_or_none(z),
        "p_value": finite_or_none(p),
        "difference_lower": float(low),
        "difference_upper": float(upp),
        "baseline_wilson": [float(b_low), float(b_upp)],
        "current_wilson": [float(c_low), float(c_upp)],
    }


def decision_case(name, baseline, current):
    x, y = expand(current), expand(baseline)
    result = mannwhitneyu(x, y, use_continuity=True, alternative="two-sided", method="asymptotic")
    return {
        "name": name,
        "baseline": baseline,
        "current": current,
        "u_current": float(result.statistic),
        "p_value": float(result.pvalue),
        "baseline_median": float(np.median(y)),
        "current_median": float(np.median(x)),
    }


def bh_case(name, p_values):
    _, q, _, _ = multipletests(p_values, alpha=0.05, method="fdr_bh")
    return {"name": name, "p_values": p_values, "q_values": [float(v) for v in q]}


def run_case():
    tests = []
    for customer, payer, group, (bd, bn), (cd, cn), bh, ch in RUN_CASE:
        if bn >= MIN_DECIDED and cn >= MIN_DECIDED:
            _, p = proportions_ztest([cd, bd], [cn, bn])
            tests.append([customer, payer, group, "denial_rate", float(p)])
        if sum(c for _, c in bh) >= MIN_DECIDED and sum(c for _, c in ch) >= MIN_DECIDED:
            p = mannwhitneyu(expand(ch), expand(bh), use_continuity=True, method="asymptotic").pvalue
            tests.append([customer, payer, group, "decision_time", float(p)])
    _, q, _, _ = multipletests([t[4] for t in tests], method="fdr_bh")
    return {
        "min_decided": MIN_DECIDED,
        "triples": [
            {
                "customer": customer,
                "payer": payer,
                "cpt_group": group,
                "baseline_denied": bd,
                "baseline_decided": bn,
                "current_denied": cd,
                "current_decided": cn,
                "baseline_days": bh,
                "current_days": ch,
            }
            for customer, payer, group, (bd, bn), (cd, cn), bh, ch in RUN_CASE
        ],
        "tests": [
            {"customer": t[0], "payer": t[1], "cpt_group": t[2], "drift_type": t[3], "p_value": t[4], "q_value": float(qv)}
            for t, qv in zip(tests, q)
        ],
    }


def main():
    output = {
        "generator": "scripts/drift_reference.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
        "denial_rate": [denial_case(*case) for case in DENIAL_CASES],
        "decision_time": [decision_case(*case) for case in DECISION_CASES],
        "benjamini_hochberg": [bh_case(*case) for case in BH_CASES],
        "run": run_case(),
    }
    json.dump(output, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
