#!/usr/bin/env python3
"""Writes the two rule sets of the validation benchmark (issue 3).

    gen_rules.py CATALOG_SWIFT RULES_SRC OUT_DIR

OUT_DIR/rules-10/   10 unscoped rules, one of each template below.
OUT_DIR/rules-1000/ 1,000 rules scoped with `when: {payer: [...], cpt: [...]}` over 25 payers x 150 CPT
                    codes. Per payer there are 10 "layers" (one per template) of 4 rules; each layer splits
                    the payer's 150 codes into 4 disjoint chunks, so every (payer, cpt) row is in scope of
                    exactly 10 rules - the same amount of rule work per row as the 10-rule set, so the
                    ratio of the two measures the cost of the rule index, not of running more rules.

Payers and CPT codes are read from SampleCatalog.swift so the rules match what the sample generator emits.
Both dirs get a copy of RULES_SRC/cpt_groups.yaml.
"""
import random
import re
import shutil
import sys
from pathlib import Path

catalog, rules_src, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
text = catalog.read_text()
payers = re.findall(r'Payer\(name: "([^"]+)"', text)
codes = re.findall(r'\("([0-9]{4}[0-9FTU])", [0-9.]+, [0-9.]+\)', text)
if len(payers) < 25 or len(codes) < 150:
    sys.exit(f"gen_rules.py: found {len(payers)} payers and {len(codes)} CPT codes in {catalog}; need 25 and 150")
payers, codes = payers[:25], codes[:150]

CARC = "'^(CO|PR|OA|PI|CR)-[0-9]{1,3}$'"


def templates(cap_billed: str, cap_allowed: str):
    """The 10 rule bodies (YAML lines after id/when), realistic kinds, mostly passing on clean samples."""
    return [
        ("billed-cap", ["kind: range", "field: billed_amount", 'min: "0.00"', f'max: "{cap_billed}"',
                        "severity: error", "message: billed_amount outside the payer's accepted range"]),
        ("allowed-cap", ["kind: range", "field: allowed_amount", f'max: "{cap_allowed}"',
                         "severity: warning", "message: allowed_amount above the payer's usual maximum"]),
        ("service-recent", ["kind: range", "field: service_date", "min: today - 3 years", "max: today",
                            "severity: error", "message: service_date outside the payer's filing window"]),
        ("amount-order", ["kind: compare", "expr: paid_amount <= allowed_amount <= billed_amount",
                          "severity: error", "message: amounts out of order"]),
        ("date-order", ["kind: compare", "expr: service_date <= submitted_date <= decided_date",
                        "severity: error", "message: dates out of order"]),
        ("outcome-known", ["kind: one_of", "field: outcome", "values: [paid, denied, pending]",
                           "severity: error", "message: unknown outcome"]),
        ("patient-ref", ["kind: pattern", "field: patient_ref", "pattern: '^P[0-9A-Fa-f]{8}$'",
                         "severity: warning", "message: patient_ref is not P + 8 hex digits"]),
        ("claim-id-len", ["kind: max_length", "field: claim_id", "max: 40",
                          "severity: warning", "message: claim_id longer than 40 characters"]),
        ("denied-carc", ["kind: when_then", "if: {outcome: denied}",
                         f"then: {{field: denial_reason, pattern: {CARC}}}",
                         "severity: error", "message: a denied claim needs a CARC denial_reason"]),
        ("npi-shape", ["kind: pattern", "field: provider_npi", "pattern: '^[0-9]{10}$'",
                       "severity: error", "message: provider_npi is not 10 digits"]),
    ]


def emit(lines, rule_id, body, when=None):
    lines.append(f"  - id: {rule_id}")
    for b in body:
        lines.append(f"    {b}")
    if when:
        lines.append(f"    when: {when}")


def prepare(d: Path):
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    shutil.copy(rules_src / "cpt_groups.yaml", d / "cpt_groups.yaml")
    if (rules_src / "lists").is_dir():
        shutil.copytree(rules_src / "lists", d / "lists")


# 10 rules, unscoped
d10 = out / "rules-10"
prepare(d10)
lines = ["rules:"]
for name, body in templates("100000.00", "100000.00"):
    emit(lines, f"bench-{name}", body)
(d10 / "bench.yaml").write_text("\n".join(lines) + "\n")

# 1,000 rules: 25 payers x 10 layers x 4 chunks of the 150 codes
d1000 = out / "rules-1000"
prepare(d1000)
rng = random.Random(7)
count = 0
for p_index, payer in enumerate(payers):
    lines = [f"# {payer}: 10 layers x 4 CPT chunks = 40 rules; every {payer} row is in scope of 10 of them", "rules:"]
    slug = re.sub(r"[^a-z0-9]+", "-", payer.lower()).strip("-")
    for layer, (name, _) in enumerate(templates("0", "0")):
        shuffled = codes[:]
        rng.shuffle(shuffled)
        for chunk in range(4):
            part = sorted(shuffled[chunk::4])
            cap = 60000 + 1000 * rng.randrange(40)
            body = templates(f"{cap}.00", f"{cap // 2}.00")[layer][1]
            cpts = ", ".join(f'"{c}"' for c in part)
            emit(lines, f"{slug}-{name}-{chunk + 1}", body, when=f"{{payer: [{payer}], cpt: [{cpts}]}}")
            count += 1
    (d1000 / f"payer-{p_index + 1:02d}-{slug}.yaml").write_text("\n".join(lines) + "\n")
assert count == 1000, count
print(f"rules-10: 10 rules; rules-1000: {count} rules over {len(payers)} payers x {len(codes)} CPT codes")
