/// A field a rule reads: an upload column, or `cpt_group` (the CPT section name derived from `cpt_code`).
package enum RuleField: Sendable, Hashable {
    case column(ClaimColumn)
    case cptGroup

    /// Resolves a rules-file field name (a column header name or `cpt_group`), case-insensitively.
    package init?(name: String) {
        if name.lowercased() == "cpt_group" {
            self = .cptGroup
        } else if let column = ClaimColumn(name: name) {
            self = .column(column)
        } else {
            return nil
        }
    }

    /// The upload column a finding on this field blames (`cpt_group` blames `cpt_code`).
    package var column: ClaimColumn {
        switch self {
        case .column(let column): column
        case .cptGroup: .cptCode
        }
    }

    package var name: String {
        switch self {
        case .column(let column): column.name
        case .cptGroup: "cpt_group"
        }
    }
}
