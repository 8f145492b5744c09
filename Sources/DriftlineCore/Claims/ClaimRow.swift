/// Where a field's bytes sit in a row buffer; `count < 0` means the field is empty.
package struct FieldSlice: Sendable {
    package var start: Int32
    package var count: Int32
    package static let empty = FieldSlice(start: 0, count: -1)
    package init(start: Int32, count: Int32) {
        self.start = start
        self.count = count
    }
}

/// One upload row, parsed into typed values, as validation rules see it.
///
/// The text fields point into the reader's buffer and are valid only while the row is being
/// evaluated: never store a `ClaimRow`. Values are PHI: read them only to validate or load.
package struct ClaimRow {
    /// The physical line (1-based, the header is line 1) on which the record starts.
    package var line: Int
    /// Base address of the field bytes.
    package var base: UnsafePointer<UInt8>
    /// Field positions by ``ClaimColumn/rawValue``.
    package var slices: InlineArray<14, FieldSlice>
    /// Dates by ``ClaimColumn/dateSlot``: days since 1970-01-01, or ``ClaimRow/noDate``.
    package var dates: InlineArray<3, Int32>
    /// Amounts by ``ClaimColumn/amountSlot``: cents, or ``ClaimRow/noAmount``.
    package var amounts: InlineArray<3, Int64>
    package var outcome: Outcome?
    /// Index into the CPT group table (``CPTGroups``), when the code falls in a known section.
    package var cptGroup: Int16?
    /// The payer's canonical index in the run's ``PayerDirectory``; `nil` when the name is not listed.
    package var payer: Int16?
    /// The CPT code as a sortable key (``CPTCode/key(_:)``), or -1 when it is not a well-formed code.
    package var cptKey: Int32

    package static let noDate = Int32.min
    package static let noAmount = Int64.min

    package init(line: Int, base: UnsafePointer<UInt8>) {
        self.line = line
        self.base = base
        self.slices = InlineArray(repeating: .empty)
        self.dates = InlineArray(repeating: Self.noDate)
        self.amounts = InlineArray(repeating: Self.noAmount)
        self.outcome = nil
        self.cptGroup = nil
        self.payer = nil
        self.cptKey = -1
    }

    /// The bytes of `column`, or `nil` when it is empty.
    @inline(__always)
    package func bytes(_ column: ClaimColumn) -> UnsafeBufferPointer<UInt8>? {
        let slice = slices[column.rawValue]
        guard slice.count >= 0 else { return nil }
        return UnsafeBufferPointer(start: base + Int(slice.start), count: Int(slice.count))
    }

    @inline(__always)
    package func isEmpty(_ column: ClaimColumn) -> Bool { slices[column.rawValue].count <= 0 }

    /// The value of `column` as a string (allocates: for rule paths that need it, never for logs).
    package func string(_ column: ClaimColumn) -> Sensitive<String>? {
        bytes(column).map { Sensitive(String(decoding: $0, as: UTF8.self)) }
    }

    /// The date in `column` (days since 1970-01-01), when present and valid.
    @inline(__always)
    package func date(_ column: ClaimColumn) -> Int32? {
        guard let slot = column.dateSlot else { return nil }
        let value = dates[slot]
        return value == Self.noDate ? nil : value
    }

    /// The amount in `column` (cents), when present and valid.
    @inline(__always)
    package func amount(_ column: ClaimColumn) -> Int64? {
        guard let slot = column.amountSlot else { return nil }
        let value = amounts[slot]
        return value == Self.noAmount ? nil : value
    }
}
