/// The findings of validating one file, in bounded memory: per rule a count and the first failing lines.
///
/// Holds only positions, rule ids, severities and rule messages: never a row value, so every rendering
/// (``renderText()``, ``renderJSON()``, ``renderHTML()``) is safe to share and log.
package struct ValidationReport: Sendable {
    /// One failing line of a rule.
    package struct Failure: Sendable, Hashable {
        package var line: Int
        /// The column header name, when the finding has one.
        package var column: String?
    }

    /// One rule's findings in the file.
    package struct RuleSummary: Sendable {
        package var ruleID: String
        package var severity: Severity
        package var message: SafeMessage
        /// All findings of the rule, including those beyond ``failures``.
        package var count: Int
        /// The first failing lines, in file order, at most ``ValidationReport/maxFailuresPerRule``.
        package var failures: [Failure]

        /// How many findings are counted but not listed.
        package var unlisted: Int { count - failures.count }
    }

    /// The validated file's name (from the inbox layout or the command line).
    package var file: SafeText
    /// The most failing lines kept per rule.
    package let maxFailuresPerRule: Int
    package private(set) var rowsRead = 0
    /// Rows with at least one `error` finding.
    package private(set) var rowsRejected = 0
    /// Rows with at least one `warning` finding (whether or not also rejected).
    package private(set) var rowsWarned = 0
    /// Valid rows skipped because they hold an older version of a stored claim (loads only).
    package private(set) var rowsStale = 0
    /// Why the file as a whole could not be validated (or would be rejected), if it could not.
    package var fileError: UploadError?
    private var summaries: [RuleSummary] = []
    private var positions: [String: Int] = [:]

    package init(file: SafeText, maxFailuresPerRule: Int = 1000) {
        self.file = file
        self.maxFailuresPerRule = maxFailuresPerRule
    }

    /// Counts a finding and keeps its line while its rule has fewer than ``maxFailuresPerRule``.
    package mutating func add(_ finding: Finding) {
        let position: Int
        if let known = positions[finding.ruleID] {
            position = known
        } else {
            position = summaries.count
            positions[finding.ruleID] = position
            summaries.append(
                RuleSummary(
                    ruleID: finding.ruleID,
                    severity: finding.severity,
                    message: finding.message,
                    count: 0,
                    failures: []
                )
            )
        }
        summaries[position].count += 1
        if summaries[position].failures.count < maxFailuresPerRule {
            summaries[position].failures.append(Failure(line: finding.line, column: finding.column))
        }
    }

    /// Counts a row read; `rejected` when it had an error finding, `warned` when it had a warning.
    package mutating func countRow(rejected: Bool, warned: Bool) {
        rowsRead += 1
        if rejected { rowsRejected += 1 }
        if warned { rowsWarned += 1 }
    }

    /// Adds the findings of a row's rule hits and counts the row.
    ///
    /// - Returns: whether the row is rejected (a hit of severity `error`).
    @discardableResult
    package mutating func record(line: Int, hits: [RuleHit], rules: RuleBook) -> Bool {
        var rejected = false
        var warned = false
        for hit in hits {
            let finding = rules.finding(hit, line: line)
            switch finding.severity {
            case .error: rejected = true
            case .warning: warned = true
            case .info: break
            }
            add(finding)
        }
        countRow(rejected: rejected, warned: warned)
        return rejected
    }

    /// Finding counts by rule id.
    package var ruleCounts: [String: Int] {
        Dictionary(uniqueKeysWithValues: summaries.map { ($0.ruleID, $0.count) })
    }

    /// Per-rule summaries, most severe first, then by rule id.
    package var rules: [RuleSummary] {
        summaries.sorted { ($0.severity, $0.ruleID) < ($1.severity, $1.ruleID) }
    }

    /// Finding counts by severity.
    package func findingCount(_ severity: Severity) -> Int {
        summaries.reduce(0) { $0 + ($1.severity == severity ? $1.count : 0) }
    }

    /// Counts an already-counted row as rejected after all (a duplicate confirmed in a second pass).
    package mutating func markRejected() { rowsRejected += 1 }

    /// Counts an already-counted valid row as stale (an older version of a stored claim, skipped).
    package mutating func markStale() { rowsStale += 1 }
}
