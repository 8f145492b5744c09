/// One link of a `compare` chain (`service_date <= submitted_date`): two date or two amount slots.
package struct RuleComparison: Sendable {
    package enum Operator: UInt8, Sendable {
        case less, lessOrEqual, equal, notEqual, greaterOrEqual, greater

        package init?(symbol: String) {
            switch symbol {
            case "<": self = .less
            case "<=": self = .lessOrEqual
            case "=", "==": self = .equal
            case "!=": self = .notEqual
            case ">=": self = .greaterOrEqual
            case ">": self = .greater
            default: return nil
            }
        }

        @inline(__always)
        package func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool {
            switch self {
            case .less: lhs < rhs
            case .lessOrEqual: lhs <= rhs
            case .equal: lhs == rhs
            case .notEqual: lhs != rhs
            case .greaterOrEqual: lhs >= rhs
            case .greater: lhs > rhs
            }
        }
    }

    /// ``ClaimColumn/dateSlot`` or ``ClaimColumn/amountSlot`` of each side.
    package var left: Int8
    package var right: Int8
    package var isDate: Bool
    package var op: Operator
    /// The column a failure blames.
    package var blame: ClaimColumn
}
