import DriftlineCore
import Foundation

/// Builds ``ClaimRow``s for rule tests: lays the values in a buffer, parses dates, amounts, outcome and CPT.
///
/// A `ClaimRow` borrows its buffer, so the row is only valid inside the closure.
package enum ClaimRowFixture {
    /// CPT sections in the shape of `rules/cpt_groups.yaml` (public AMA section ranges).
    package static let groupsYAML = """
        groups:
          - {name: Anesthesia, ranges: ["00100-01999"]}
          - {name: Surgery, ranges: ["10004-69990"]}
          - {name: Radiology, ranges: ["70010-79999"]}
          - {name: Pathology and Laboratory, ranges: ["80047-89398"]}
          - {name: Medicine, ranges: ["90281-99199", "99500-99607"]}
          - {name: "E&M", ranges: ["99202-99499"]}
          - {name: Category II, ranges: ["0001F-9007F"]}
          - {name: Category III, ranges: ["0042T-0999T"]}
        """

    /// ``groupsYAML`` loaded through ``CPTGroups/load(from:)``.
    package static let groups: CPTGroups = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cpt_groups-\(UUID().uuidString).yaml")
        try! groupsYAML.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        return try! CPTGroups.load(from: url)
    }()

    /// A row every shipped rule accepts (as of 2026-06-15).
    package static let valid: [ClaimColumn: String] = [
        .claimID: "C0000001", .customerID: "acme-clinic", .payer: "AETNA", .cptCode: "99213",
        .serviceDate: "2026-05-01", .submittedDate: "2026-05-03", .decidedDate: "2026-05-20", .outcome: "paid",
        .billedAmount: "180.00", .allowedAmount: "120.00", .paidAmount: "96.00", .patientRef: "P1a2b3c4d",
        .providerNPI: "1234567893",
    ]

    /// Days since 1970-01-01 of `YYYY-MM-DD` (traps on a bad date: fixtures are code).
    package static func day(_ text: String) -> Int32 { CivilDate.parse(text)! }

    /// Calls `body` with a row holding `values` (absent keys are empty fields), parsed like the format pass:
    /// an invalid date or amount is left absent.
    package static func withRow<R>(
        _ values: [ClaimColumn: String],
        line: Int = 2,
        groups: CPTGroups = ClaimRowFixture.groups,
        payers: PayerDirectory = .empty,
        _ body: (borrowing ClaimRow) throws -> R
    ) rethrows -> R {
        var buffer: [UInt8] = []
        var slices: [(ClaimColumn, FieldSlice)] = []
        for column in ClaimColumn.allCases {
            guard let value = values[column] else { continue }
            slices.append((column, FieldSlice(start: Int32(buffer.count), count: Int32(value.utf8.count))))
            buffer.append(contentsOf: value.utf8)
        }
        buffer.append(0)  // never empty, so the base address exists
        return try buffer.withUnsafeBufferPointer { pointer in
            var row = ClaimRow(line: line, base: pointer.baseAddress!)
            for (column, slice) in slices { row.slices[column.rawValue] = slice }
            for column in ClaimColumn.allCases {
                guard let bytes = row.bytes(column), !bytes.isEmpty else { continue }
                if let slot = column.dateSlot, let days = CivilDate.parse(bytes) { row.dates[slot] = days }
                if let slot = column.amountSlot, case .cents(let cents) = Amount.parse(bytes) {
                    row.amounts[slot] = cents
                }
            }
            if let text = values[.outcome] {
                row.outcome = Outcome.allCases.first { $0.description == text.lowercased() }
            }
            if let bytes = row.bytes(.payer) { row.payer = payers.canonicalIndex(bytes) }
            if let bytes = row.bytes(.cptCode), let key = CPTCode.key(bytes) {
                row.cptKey = key
                row.cptGroup = groups.group(forKey: key)
            }
            return try body(row)
        }
    }

    /// `base` with `changes` applied; a `nil` value empties the field.
    package static func row(
        _ changes: [ClaimColumn: String?],
        base: [ClaimColumn: String] = valid
    )
        -> [ClaimColumn: String]
    {
        var values = base
        for (column, value) in changes { values[column] = value }
        return values
    }
}
