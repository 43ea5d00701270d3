"""Nigrini's suite by benford_py (benford-py 0.5.0), for shared/tests/reference.rs.

Reads a JSON file: {"digits": [significant-digit strings of the numbers used],
"amounts": [their values as integers in units of 10**-scale], "scale": scale}.
Prints JSON with each test's figures as benford_py computes them; where
benford_py has no such figure (the chi-square p-values: scipy; the
last-two-digits test's 1/100, the arc
test's p-value, the distortion factor) it is computed here from the
published formula on benford_py's own intermediate results.
"""
import json
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
from benford.benford import Base, Mantissas, Summ, Test
from benford.stats import Z_score, chi_sq_2, kolmogorov_smirnov_2
from benford.utils import subtract_sorted
from scipy.stats import chi2

TESTS = {1: ("first_digit", 1), 22: ("second_digit", 2), 2: ("first_two_digits", 2),
         3: ("first_three_digits", 3), -2: ("last_two_digits", 4)}
BINS = {1: range(1, 10), 22: range(0, 10), 2: range(10, 100), 3: range(100, 1000),
        -2: range(0, 100)}


def digit_test(base, digs, bins):
    test = Test(base, digs, confidence=95)
    if digs == -2:
        # benford_py 0.5.0 expects 1/99 for each of the 100 endings; Benford's
        # law (and Nigrini) give 1/100. Its own formulas, with 1/100.
        test["Expected"] = 0.01
        test["Dif"] = test.Found - test.Expected
        test["AbsDif"] = test.Dif.abs()
        test["Z_score"] = Z_score(test, test.limit_N)
        test.chi_square = chi_sq_2(test)
        test.KS = kolmogorov_smirnov_2(test)
        test.MAD = test.AbsDif.mean()
    figures = {"n": int(test.limit_N), "chi_square": float(test.chi_square),
               "p_value": float(chi2.sf(test.chi_square, len(bins) - 1)),
               "ks": float(test.KS), "mad": float(test.MAD)}
    rows = pd.DataFrame(test).reindex(bins)
    figures.update({
        "counts": [int(c) for c in rows.Counts],
        "observed": [float(f) for f in rows.Found],
        "expected": [float(e) for e in rows.Expected],
        "z": [float(z) for z in rows.Z_score],
    })
    return figures


def main():
    data = json.load(open(sys.argv[1]))
    digits = data["digits"]
    out = {}
    for digs, (name, needed) in TESTS.items():
        ints = pd.Series([int(d) for d in digits if len(d) >= needed], dtype="int64")
        out[name] = digit_test(Base(ints, decimals=0), digs, BINS[digs])

    amounts = pd.Series(data["amounts"], dtype="int64")
    # Second order: benford_py's own differences of the sorted amounts.
    diffs = subtract_sorted(amounts).astype("int64")
    second = Base(diffs, decimals=0, sec_order=True)
    out["second_order"] = digit_test(second, 2, BINS[2])

    summ = Summ(Base(amounts, decimals=0), "F2D").reindex(range(10, 100)).fillna(0)
    shares = [float(p) for p in summ.Percent]
    out["summation"] = {
        "shares": shares,
        "mad": float(np.mean([abs(p - 1 / 90) for p in shares])),
    }

    values = amounts.astype("float64") / 10 ** data["scale"]
    mant = Mantissas(values)
    stats = mant.stats
    m = mant.data.Mantissa.values
    n = len(m)
    x = float(np.cos(2 * np.pi * m).mean())
    y = float(np.sin(2 * np.pi * m).mean())
    l2 = x * x + y * y
    out["mantissas"] = {
        "n": n, "mean": float(stats["Mean"]), "variance": float(stats["Var"]),
        "skewness": float(stats["Skew"]), "kurtosis": float(stats["Kurt"]),
        "arc_x": x, "arc_y": y, "arc_l2": l2, "arc_p_value": float(np.exp(-n * l2)),
    }
    # Nigrini's distortion factor from the same mantissas.
    collapsed = 10 ** (1 + m)
    actual = float(collapsed.mean())
    expected = 90 / (n * (10 ** (1 / n) - 1))
    out["distortion"] = {
        "actual_mean": actual, "expected_mean": expected,
        "factor_percent": 100 * (actual - expected) / expected,
    }
    counts = amounts.value_counts()
    # Keyed as Docket writes an amount: a decimal without trailing zeros.
    out["duplicates"] = {
        format(Decimal(int(k)).scaleb(-data["scale"]).normalize(), "f"): int(v)
        for k, v in counts[counts > 1].items()
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
