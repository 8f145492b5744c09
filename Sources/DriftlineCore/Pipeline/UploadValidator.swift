/// Reads an upload record by record and checks each row: CSV structure, the upload format, the
/// tenant guard and the rules that apply to it. Memory stays bounded whatever the file size.
package final class UploadValidator {
    package let header: ClaimHeader
    private let reader: CSVReader
    private let format: ClaimFormat
    private let rules: RuleBook?
    @exclusivity(unchecked) private var hits: [RuleHit] = []
    @exclusivity(unchecked) private var duplicates = DuplicateFilter()

    /// The findings of the row last returned by ``next()``.
    @exclusivity(unchecked) package private(set) var findings: [Finding] = []
    /// Rows read so far (records after the header).
    @exclusivity(unchecked) package private(set) var rowsRead = 0

    /// Whether ``Row/duplicateCandidate`` is computed (a loader that lets the primary key find
    /// repeats turns it off).
    private let flagsDuplicates: Bool

    /// Opens the upload and reads its header.
    package init(
        source: any ByteSource,
        expectedCustomer: String?,
        rules: RuleBook?,
        groups: CPTGroups,
        flagsDuplicates: Bool = true
    ) throws(UploadError) {
        self.flagsDuplicates = flagsDuplicates
        reader = CSVReader(source: source)
        let headerRecord: CSVRecord?
        do { headerRecord = try reader.next() } catch { throw UploadError(error) }
        guard let headerRecord else { throw UploadError(.emptyFile, line: 1, "the file is empty: no header row") }
        header = try ClaimHeader(record: headerRecord)
        format = ClaimFormat(header: header, expectedCustomer: expectedCustomer, groups: groups)
        self.rules = rules
        findings.reserveCapacity(16)
        hits.reserveCapacity(16)
    }

    /// The verdict on one row, valid until the next call.
    package struct Row {
        package var claim: ClaimRow
        /// The record's original bytes (for reject reports kept beside the upload).
        package var raw: UnsafeBufferPointer<UInt8>
        /// At least one error-severity finding: the row is rejected.
        package var rejected: Bool
        package var warned: Bool
        /// The claim id may repeat an earlier row (confirm exactly before rejecting).
        package var duplicateCandidate: Bool
        package var line: Int { claim.line }
    }

    /// The next row, or `nil` after the last one.
    package func next() throws(UploadError) -> Row? {
        let record: CSVRecord?
        do { record = try reader.next() } catch { throw UploadError(error) }
        guard let record else {
            if rowsRead == 0 { throw UploadError(.headerOnly, line: 2, "the file has a header but no rows") }
            return nil
        }
        rowsRead += 1
        findings.removeAll(keepingCapacity: true)
        var claim = ClaimRow(line: record.line, base: record.base)
        let usable = format.check(record, into: &claim, findings: &findings)
        // The filter's probe is a cache miss: start it now, finish it after the rules.
        var claimHash: UInt64?
        if flagsDuplicates, let claimID = claim.bytes(.claimID) {
            let hash = DuplicateFilter.hash(claimID)
            duplicates.prefetch(hash: hash)
            claimHash = hash
        }
        if usable, let rules {
            hits.removeAll(keepingCapacity: true)
            rules.evaluate(claim, into: &hits)
            for hit in hits {
                let info = rules.rule(hit.rule)
                findings.append(
                    Finding(
                        line: record.line,
                        column: hit.column?.name ?? info.column,
                        ruleID: info.id,
                        severity: info.severity,
                        message: info.message
                    )
                )
            }
        }
        var rejected = false
        var warned = false
        for finding in findings {
            if finding.severity == .error { rejected = true } else if finding.severity == .warning { warned = true }
        }
        var candidate = false
        if !rejected, let claimHash {
            candidate = duplicates.insert(hash: claimHash)
        }
        return Row(claim: claim, raw: record.raw, rejected: rejected, warned: warned, duplicateCandidate: candidate)
    }
}
