/// Checks one record against the upload format and fills a ``ClaimRow`` with its typed values.
package struct ClaimFormat: Sendable {
    package let header: ClaimHeader
    /// The customer the file's folder names: every row's `customer_id` must match it (tenant guard).
    package let expectedCustomer: [UInt8]?
    package let groups: CPTGroups
    /// Resolves payer names to canonical ids (``ClaimRow/payer``).
    package let payers: PayerDirectory
    package let dateFormat: DateFormat
    package let amountStyle: AmountStyle

    package init(
        header: ClaimHeader,
        expectedCustomer: String?,
        groups: CPTGroups,
        payers: PayerDirectory = .empty,
        profile: CustomerProfile = .standard
    ) {
        self.header = header
        self.expectedCustomer = expectedCustomer.map { Array($0.utf8) }
        self.groups = groups
        self.payers = payers
        dateFormat = profile.dateFormat
        amountStyle = profile.amounts
    }

    /// Fills `row` from `record`, appending a finding per format violation. Returns `false` when the
    /// record is unusable (structural error or wrong field count).
    @inline(__always)
    package func check(_ record: CSVRecord, into row: inout ClaimRow, findings: inout [Finding]) -> Bool {
        if let error = record.structuralError {
            findings.append(BuiltinRule.structure.finding(line: record.line, column: column(atField: error.field - 1)))
            return false
        }
        guard record.fieldCount == header.fieldCount else {
            findings.append(
                finding(
                    .columnCount,
                    line: record.line,
                    column: nil,
                    message: "expected \(header.fieldCount) fields, found \(record.fieldCount)"
                )
            )
            return false
        }
        row.base = record.base
        for raw in 0..<ClaimColumn.count {
            let column = ClaimColumn(rawValue: raw).unsafelyUnwrapped
            let index = header.fieldIndex[raw]
            guard index >= 0 else { continue }
            let slice = record.slice(index)
            guard slice.count > 0 else {
                if column.isRequired { findings.append(finding(.required, line: record.line, column: column)) }
                continue
            }
            row.slices[column.rawValue] = slice
            let bytes = UnsafeBufferPointer(start: record.base + Int(slice.start), count: Int(slice.count))
            switch column.kind {
            case .text:
                if let problem = TextCheck.problem(bytes) {
                    findings.append(finding(problem, line: record.line, column: column))
                    row.slices[column.rawValue] = .empty
                } else if bytes.count > column.maxBytes {
                    findings.append(finding(.length, line: record.line, column: column))
                } else if column == .payer {
                    row.payer = payers.canonicalIndex(bytes)
                }
            case .date:
                if let days = CivilDate.parse(bytes, format: dateFormat) {
                    row.dates[column.dateSlot!] = days
                } else {
                    findings.append(finding(.date, line: record.line, column: column))
                }
            case .amount:
                switch Amount.parse(bytes, style: amountStyle) {
                case .cents(let cents): row.amounts[column.amountSlot!] = cents
                case .negative: findings.append(finding(.negativeAmount, line: record.line, column: column))
                case .invalid: findings.append(finding(.amount, line: record.line, column: column))
                }
            case .outcome:
                if let outcome = Self.outcome(bytes) {
                    row.outcome = outcome
                } else {
                    findings.append(finding(.outcome, line: record.line, column: column))
                }
            }
        }
        if let outcome = row.outcome {
            let hasDecided = row.slices[ClaimColumn.decidedDate.rawValue].count > 0
            if outcome == .pending && hasDecided {
                findings.append(finding(.decidedDate, line: record.line, column: .decidedDate))
            } else if outcome != .pending && !hasDecided {
                findings.append(
                    finding(
                        .required,
                        line: record.line,
                        column: .decidedDate,
                        message: "decided_date is required unless the claim is pending"
                    )
                )
            }
        }
        if let code = row.bytes(.cptCode) {
            if let key = CPTCode.key(code) {
                row.cptKey = key
                row.cptGroup = groups.group(forKey: key)
            } else {
                findings.append(finding(.cptCode, line: record.line, column: .cptCode))
            }
        }
        if let expectedCustomer, let customer = row.bytes(.customerID),
            !customer.elementsEqual(expectedCustomer)
        {
            findings.append(finding(.tenant, line: record.line, column: .customerID))
        }
        return true
    }

    private func column(atField index: Int) -> ClaimColumn? {
        guard index >= 0 else { return nil }
        for column in ClaimColumn.allCases where header.fieldIndex[column.rawValue] == index { return column }
        return nil
    }

    @inline(__always)
    private func finding(
        _ rule: BuiltinRule,
        line: Int,
        column: ClaimColumn?,
        message: SafeMessage? = nil
    ) -> Finding {
        rule.finding(line: line, column: column, message: message)
    }

    @inline(__always)
    static func outcome(_ bytes: UnsafeBufferPointer<UInt8>) -> Outcome? {
        @inline(__always) func equals(_ literal: StaticString) -> Bool {
            guard bytes.count == literal.utf8CodeUnitCount else { return false }
            let expected = literal.utf8Start
            for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] { return false }
            return true
        }
        if equals("paid") { return .paid }
        if equals("denied") { return .denied }
        if equals("pending") { return .pending }
        return nil
    }
}

/// Text-field hygiene: no NUL bytes, valid UTF-8.
package enum TextCheck {
    @inline(__always)
    package static func problem(_ bytes: UnsafeBufferPointer<UInt8>) -> BuiltinRule? {
        var high: UInt8 = 0
        var hasNul = false
        for byte in bytes {
            high |= byte
            hasNul = hasNul || byte == 0
        }
        if hasNul { return .nul }
        if high < 0x80 { return nil }
        return isValidUTF8(bytes) ? nil : .encoding
    }

    package static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
