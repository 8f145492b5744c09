/// The reports of one `validate FILE…` run, one per file, with totals.
package struct ValidationReportSet: Sendable {
    package var files: [ValidationReport]

    package init(files: [ValidationReport] = []) { self.files = files }

    package mutating func append(_ report: ValidationReport) { files.append(report) }

    package var rowsRead: Int { files.reduce(0) { $0 + $1.rowsRead } }
    package var rowsRejected: Int { files.reduce(0) { $0 + $1.rowsRejected } }
    package var rowsWarned: Int { files.reduce(0) { $0 + $1.rowsWarned } }

    package func findingCount(_ severity: Severity) -> Int { files.reduce(0) { $0 + $1.findingCount(severity) } }

    /// Finding counts by rule id over all files.
    package var ruleCounts: [String: Int] {
        files.reduce(into: [:]) { totals, file in totals.merge(file.ruleCounts, uniquingKeysWith: +) }
    }

    package func renderText() -> String { ValidationReportRenderer.text(self) }
    package func renderJSON() -> String { ValidationReportRenderer.json(self) }
    package func renderHTML() -> String { ValidationReportRenderer.html(self) }
}
