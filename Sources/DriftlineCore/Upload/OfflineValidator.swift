import Foundation

/// Validates upload files without a database, for analysts (`driftline validate`) and for the
/// report kept with every upload. Streams each file; memory does not grow with its size.
package struct OfflineValidator {
    package var rules: RuleBook?
    package var groups: CPTGroups
    package var maxFailuresPerRule: Int

    package init(rules: RuleBook?, groups: CPTGroups, maxFailuresPerRule: Int = 1000) {
        self.rules = rules
        self.groups = groups
        self.maxFailuresPerRule = maxFailuresPerRule
    }

    /// Validates one file. `customer` turns on the tenant guard (every row's customer_id must match).
    package func validate(
        path: String,
        customer: String? = nil,
        profile: CustomerProfile = .standard
    ) -> ValidationReport {
        var report = ValidationReport(file: SafeText(inboxName: path), maxFailuresPerRule: maxFailuresPerRule)
        var candidates: [(line: Int, hash: UInt64)] = []
        do {
            let validator = try UploadValidator(
                source: try openUpload(path: path),
                expectedCustomer: customer,
                rules: rules,
                groups: groups,
                profile: profile,
                // Sized from the file, as loads do: a small upload is not charged for 4 MiB.
                duplicateFilterBytes: DuplicateFilter.bytes(forUploadAt: path)
            )
            while let row = try validator.next() {
                for finding in validator.findings { report.add(finding) }
                report.countRow(rejected: row.rejected, warned: row.warned)
                if row.duplicateCandidate, let claimID = row.claim.bytes(.claimID) {
                    candidates.append((row.line, DuplicateFilter.hash(claimID)))
                }
            }
            if !candidates.isEmpty {
                for line in try confirmDuplicates(
                    path: path,
                    profile: profile,
                    header: validator.header,
                    candidates: candidates
                ) {
                    report.add(BuiltinRule.duplicateClaim.finding(line: line, column: .claimID))
                    report.markRejected()
                }
            }
        } catch let error as UploadError {
            report.add(
                Finding(
                    line: error.line ?? 0,
                    column: error.column?.description,
                    ruleID: "file.\(error.kind)",
                    severity: .error,
                    message: error.message
                )
            )
            report.fileError = error
        } catch let error as InputError {
            let error = UploadError(error, line: nil)
            report.add(
                Finding(line: 0, column: nil, ruleID: "file.\(error.kind)", severity: .error, message: error.message)
            )
            report.fileError = error
        } catch {
            report.add(
                Finding(
                    line: 0,
                    column: nil,
                    ruleID: "file.unreadable",
                    severity: .error,
                    message: "cannot read the file"
                )
            )
        }
        return report
    }

    /// Second pass over a file, only for the lines the filter flagged: which repeat an earlier claim_id exactly.
    private func confirmDuplicates(
        path: String,
        profile: CustomerProfile,
        header: ClaimHeader,
        candidates: [(line: Int, hash: UInt64)]
    ) throws -> [Int] {
        let hashes = Set(candidates.map(\.hash))
        let candidateLines = Set(candidates.map(\.line))
        guard let index = header.index(of: .claimID) else { return [] }
        let reader = CSVReader(
            source: TranscodingByteSource.wrap(try openUpload(path: path), encoding: profile.encoding),
            delimiter: profile.delimiter
        )
        _ = try reader.next()  // header
        // Claim ids whose hash is a candidate's: at most a few per candidate, kept as bytes.
        var seen: [UInt64: [[UInt8]]] = [:]
        var duplicates: [Int] = []
        while let record = try reader.next() {
            guard record.structuralError == nil, record.fieldCount == header.fieldCount,
                let claimID = record.field(index)
            else { continue }
            let hash = DuplicateFilter.hash(claimID)
            guard hashes.contains(hash) else { continue }
            let bytes = Array(claimID)
            if candidateLines.contains(record.line), seen[hash]?.contains(bytes) == true {
                duplicates.append(record.line)
            } else {
                seen[hash, default: []].append(bytes)
            }
        }
        return duplicates
    }
}
