import Foundation

/// The calibrated statistical model shared by every customer file of one run: payer and CPT mixes,
/// per-payer denial rates and decision times, and the planted drift.
///
/// Time: `decided_date` is drawn uniformly from the ``decidedSpan`` days (default ``defaultDecidedSpan``) before the as-of date (the as-of
/// day itself excluded), decision time and submission lag are subtracted from it, so every date is before
/// the as-of date and `service_date` stays within ~2 years of it. Pending claims are submitted in the
/// last ~60 days. Drift windows are by `decided_date`: current = the 30 days before as-of
/// (`asOf-30 ... asOf-1`), baseline = the 90 days before that (`asOf-120 ... asOf-31`).
struct SampleModel: Sendable {
    struct DriftTruth: Sendable {
        var payer: String
        /// `denial_rate` (denied / decided claims) or `decision_days` (median of decided - submitted).
        var metric: String
        var baseline: Double
        var current: Double
    }

    static let pendingShare = 0.08
    /// Share of denied among all claims (so among decided claims: 0.12 / 0.92).
    static let deniedShare = 0.12
    static let defaultDecidedSpan = SampleGenerator.defaultHistoryDays
    static let maxDecisionDays = 120
    static let maxSubmissionLag = 40
    static let decisionSigma = 0.5

    let asOf: Int
    let drift: Bool
    /// Days of decisions before the as-of date (the history's length).
    let decidedSpan: Int
    let currentStart: Int
    let baselineStart: Int

    let payerNames: [[UInt8]]
    let payerWeights: [Double]
    let denialBaseline: [Double]
    let denialCurrent: [Double]
    /// log(median decision days).
    let decisionMuBaseline: [Double]
    let decisionMuCurrent: [Double]
    let allowedRatio: [Double]

    let procedureCodes: [[UInt8]]
    let procedureWeights: [Double]
    let procedurePrices: [Int64]

    let reasonCodes: [[UInt8]]
    let reasonCumulative: [Double]

    let truth: [DriftTruth]

    /// - Parameter driftCount: plant this many drifts (payer × metric pairs of the `max(8, ⌈n/2⌉)` largest
    ///   payers, each worse or better at random); `nil`: two or three denial-rate drifts and one slower payer
    ///   among the 8 largest, all worse.
    init(asOf: Int, seed: UInt64, drift: Bool, driftCount: Int? = nil, decidedSpan: Int = Self.defaultDecidedSpan) {
        self.asOf = asOf
        self.drift = drift
        self.decidedSpan = decidedSpan
        currentStart = asOf - 30
        baselineStart = asOf - 120

        let payers = SampleCatalog.payers
        payerNames = payers.map { Array($0.name.utf8) }
        payerWeights = payers.indices.map { 1.0 / Double($0 + 1) }
        let totalWeight = payerWeights.reduce(0, +)
        // Calibrate denial rates so the weighted mean among decided claims is 12% / 92%.
        let rawMean = zip(payers, payerWeights).map { $0.denialRate * $1 }.reduce(0, +) / totalWeight
        let scale = (Self.deniedShare / (1 - Self.pendingShare)) / rawMean
        let baseline = payers.map { ($0.denialRate * scale * 10_000).rounded() / 10_000 }
        denialBaseline = baseline
        decisionMuBaseline = payers.map { log($0.decisionMedian) }
        allowedRatio = payers.map(\.allowedRatio)

        var denialCurrent = baseline
        var muCurrent = decisionMuBaseline
        var truth: [DriftTruth] = []
        if drift, let driftCount {
            // `driftCount` drifts over (payer, metric) pairs of the largest payers, both directions.
            var rng = SampleRandom(seed: seed, stream: 0xD81F8)
            let payerCount = min(payers.count, max(8, (driftCount + 1) / 2))
            var pairs = (0..<payerCount).flatMap { payer in [(payer, true), (payer, false)] }
            rng.shuffle(&pairs)
            for (payer, isDenial) in pairs.prefix(driftCount).sorted(by: { ($0.0, $0.1 ? 0 : 1) < ($1.0, $1.1 ? 0 : 1) }
            ) {
                let worse = rng.below(2) == 0
                if isDenial {
                    let current = worse ? min(0.6, baseline[payer] + 0.20) : max(0.005, baseline[payer] - 0.10)
                    denialCurrent[payer] = current
                    truth.append(
                        DriftTruth(
                            payer: payers[payer].name,
                            metric: "denial_rate",
                            baseline: baseline[payer],
                            current: current
                        )
                    )
                } else {
                    let median = payers[payer].decisionMedian
                    let current = worse ? max(35, (median * 2.5).rounded()) : (median * 0.4).rounded()
                    muCurrent[payer] = log(current)
                    truth.append(
                        DriftTruth(
                            payer: payers[payer].name,
                            metric: "decision_days",
                            baseline: median,
                            current: current
                        )
                    )
                }
            }
        } else if drift {
            // Drift payers come from the 8 largest, so each window holds enough of their claims.
            var rng = SampleRandom(seed: seed, stream: 0xD81F7)
            var candidates = Array(0..<min(8, payers.count))
            rng.shuffle(&candidates)
            let denialCount = 2 + rng.below(2)
            for payer in candidates.prefix(denialCount).sorted() {
                let current = min(0.6, baseline[payer] + 0.20)
                denialCurrent[payer] = current
                truth.append(
                    DriftTruth(
                        payer: payers[payer].name,
                        metric: "denial_rate",
                        baseline: baseline[payer],
                        current: current
                    )
                )
            }
            let slow = candidates[denialCount]
            let median = payers[slow].decisionMedian
            let slowMedian = max(35, (median * 2.5).rounded())
            muCurrent[slow] = log(slowMedian)
            truth.append(
                DriftTruth(
                    payer: payers[slow].name,
                    metric: "decision_days",
                    baseline: median,
                    current: slowMedian
                )
            )
        }
        self.denialCurrent = denialCurrent
        decisionMuCurrent = muCurrent
        self.truth = truth

        let procedures = SampleCatalog.procedures
        var sectionTotals = [Double](repeating: 0, count: SampleCatalog.Section.allCases.count)
        for procedure in procedures { sectionTotals[procedure.section.rawValue] += procedure.weight }
        procedureCodes = procedures.map { Array($0.code.utf8) }
        procedureWeights = procedures.map { $0.section.share * $0.weight / sectionTotals[$0.section.rawValue] }
        procedurePrices = procedures.map(\.price)

        reasonCodes = SampleCatalog.denialReasons.map { Array($0.code.utf8) }
        reasonCumulative = Self.cumulative(SampleCatalog.denialReasons.map(\.weight))
    }

    static func cumulative(_ weights: [Double]) -> [Double] {
        var total = 0.0
        return weights.map {
            total += $0
            return total
        }
    }

    /// Splits `total` into integer parts proportional to `weights` (largest remainder; ties by index).
    static func apportion(_ total: Int, weights: [Double]) -> [Int] {
        guard !weights.isEmpty else { return [] }
        let sum = weights.reduce(0, +)
        guard sum > 0, total > 0 else { return [Int](repeating: 0, count: weights.count) }
        let quotas = weights.map { Double(total) * $0 / sum }
        var parts = quotas.map { Int($0.rounded(.down)) }
        var remaining = total - parts.reduce(0, +)
        let order = quotas.indices.sorted { lhs, rhs in
            let a = quotas[lhs] - Double(parts[lhs])
            let b = quotas[rhs] - Double(parts[rhs])
            return a != b ? a > b : lhs < rhs
        }
        var index = 0
        while remaining > 0 {
            parts[order[index % order.count]] += 1
            remaining -= 1
            index += 1
        }
        return parts
    }

    /// Rows per customer: the first 20% of customers (at least one) send 80% of the rows, with a
    /// gentle Zipf slope inside each tier; every customer gets at least one row when rows >= customers.
    static func customerRows(rows: Int, customers: Int) -> [Int] {
        guard customers > 0 else { return [] }
        let top = min(customers, max(1, Int((Double(customers) * 0.2).rounded(.up))))
        var weights: [Double] = []
        for index in 0..<customers {
            let inTop = index < top
            let rank = inTop ? index : index - top
            let tierShare = top == customers ? 1.0 : (inTop ? 0.8 : 0.2)
            weights.append(tierShare / pow(Double(rank + 1), 0.6))
        }
        // Normalise within tiers so the tier shares hold exactly.
        let topSum = weights[0..<top].reduce(0, +)
        let restSum = weights[top...].reduce(0, +)
        for index in 0..<customers {
            let inTop = index < top
            let tierShare = top == customers ? 1.0 : (inTop ? 0.8 : 0.2)
            weights[index] = weights[index] / (inTop ? topSum : restSum) * tierShare
        }
        if rows >= customers {
            return apportion(rows - customers, weights: weights).map { $0 + 1 }
        }
        return apportion(rows, weights: weights)
    }
}
