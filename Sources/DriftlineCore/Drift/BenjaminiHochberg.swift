/// Benjamini–Hochberg false-discovery-rate control: adjusted p-values (q-values) for a family of tests.
///
/// Sort the `m` p-values ascending, `p(1) ≤ … ≤ p(m)`; the q-value of the `i`-th is
/// `min over j ≥ i of p(j) · m / j`, capped at 1 (the step-up procedure made monotone). Rejecting every
/// hypothesis with `q ≤ α` is the BH procedure at false discovery rate `α`: among the flagged drifts, the
/// expected share of false ones is at most `α` (for independent or positively dependent tests). The values are
/// statsmodels' `multipletests(pvals, method="fdr_bh")[1]`. Tied p-values get the same q-value.
package enum BenjaminiHochberg {
    /// The q-values of `pValues`, in the same order.
    ///
    /// - Precondition: every p-value is in `0...1` (no NaN).
    package static func adjust(_ pValues: [Double]) -> [Double] {
        precondition(pValues.allSatisfy { (0...1).contains($0) }, "p-values must be within 0...1")
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var qValues = [Double](repeating: 1, count: m)
        var smallest = 1.0
        for rank in stride(from: m, through: 1, by: -1) {
            let index = order[rank - 1]
            // p / (rank / m), as statsmodels divides by its ecdf factor: the same rounding.
            smallest = min(smallest, pValues[index] / (Double(rank) / Double(m)))
            qValues[index] = smallest
        }
        return qValues
    }
}
