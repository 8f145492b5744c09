import DriftlineCore

/// One `driftline.drift_events` row, as stored and as `driftline drift --json` prints it: the JSON keys are the
/// table's column names.
///
/// Dates are `YYYY-MM-DD`. Built from a ``DriftEvent`` before it is stored (then `eventID` and `createdAt` are
/// `nil`), or read back from the table.
package struct DriftEventRecord: Sendable, Hashable, Codable {
    package var eventID: Int64?
    package var customerID: String
    package var payer: String
    /// `''` for claims whose CPT code is in no group.
    package var cptGroup: String
    package var driftType: String
    package var method: String
    package var baselineStart: String
    package var baselineEnd: String
    package var currentStart: String
    package var currentEnd: String
    package var baselineN: Int64
    package var currentN: Int64
    package var baselineValue: Double
    package var currentValue: Double
    package var absChange: Double
    package var relChange: Double?
    package var ciLow: Double?
    package var ciHigh: Double?
    package var statistic: Double
    package var pValue: Double
    package var qValue: Double
    package var severity: String
    package var direction: String
    package var runID: Int64?
    package var createdAt: String?

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id"
        case customerID = "customer_id"
        case payer
        case cptGroup = "cpt_group"
        case driftType = "drift_type"
        case method
        case baselineStart = "baseline_start"
        case baselineEnd = "baseline_end"
        case currentStart = "current_start"
        case currentEnd = "current_end"
        case baselineN = "baseline_n"
        case currentN = "current_n"
        case baselineValue = "baseline_value"
        case currentValue = "current_value"
        case absChange = "abs_change"
        case relChange = "rel_change"
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
        case statistic
        case pValue = "p_value"
        case qValue = "q_value"
        case severity
        case direction
        case runID = "run_id"
        case createdAt = "created_at"
    }

    /// The unique key of `drift_events` (customer, payer, group, type, current window end): ascending, the
    /// order events are inserted and locked in.
    package var key: Key { Key(customerID, payer, cptGroup, driftType, currentEnd) }

    package struct Key: Hashable, Comparable, Sendable {
        package var customerID: String
        package var payer: String
        package var cptGroup: String
        package var driftType: String
        package var currentEnd: String

        package init(_ customerID: String, _ payer: String, _ cptGroup: String, _ driftType: String, _ end: String) {
            self.customerID = customerID
            self.payer = payer
            self.cptGroup = cptGroup
            self.driftType = driftType
            self.currentEnd = end
        }

        package static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.customerID, lhs.payer, lhs.cptGroup, lhs.driftType, lhs.currentEnd)
                < (rhs.customerID, rhs.payer, rhs.cptGroup, rhs.driftType, rhs.currentEnd)
        }
    }
}

extension DriftEventRecord {
    /// The row for `event`, found by run `runID`.
    package init(_ event: DriftEvent, runID: Int64?) {
        eventID = nil
        customerID = event.triple.customerID
        payer = event.triple.payer
        cptGroup = event.triple.cptGroup
        driftType = event.type.rawValue
        method = event.method.rawValue
        baselineStart = CivilDate.format(event.windows.baselineStart)
        baselineEnd = CivilDate.format(event.windows.baselineEnd)
        currentStart = CivilDate.format(event.windows.currentStart)
        currentEnd = CivilDate.format(event.windows.currentEnd)
        baselineN = Int64(event.baselineN)
        currentN = Int64(event.currentN)
        baselineValue = event.baselineValue
        currentValue = event.currentValue
        absChange = event.absoluteChange
        relChange = event.relativeChange
        ciLow = event.interval?.lowerBound
        ciHigh = event.interval?.upperBound
        statistic = event.statistic
        pValue = event.pValue
        qValue = event.qValue
        severity = event.severity.rawValue
        direction = event.direction.rawValue
        self.runID = runID
        createdAt = nil
    }
}
