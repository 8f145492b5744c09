import Foundation

/// Renders ``ValidationReport``s as text, JSON and HTML. Reports hold no row values, so neither does the output.
package enum ValidationReportRenderer {
    // MARK: - Text

    package static func text(_ report: ValidationReport) -> String {
        var output = ""
        appendText(report, to: &output)
        return output
    }

    package static func text(_ set: ValidationReportSet) -> String {
        var output = "Validation: \(set.files.count) file(s), \(set.rowsRead) rows read, \(set.rowsRejected) rejected, "
        output += "\(set.rowsWarned) with warnings; findings: \(set.findingCount(.error)) error, "
        output += "\(set.findingCount(.warning)) warning, \(set.findingCount(.info)) info\n"
        for report in set.files {
            output += "\n"
            appendText(report, to: &output)
        }
        return output
    }

    private static func appendText(_ report: ValidationReport, to output: inout String) {
        output += "File: \(report.file)\n"
        output += "Rows: \(report.rowsRead) read, \(report.rowsRejected) rejected, \(report.rowsWarned) with warnings"
        output += report.rowsStale > 0 ? ", \(report.rowsStale) stale (older than the stored claim: skipped)\n" : "\n"
        let rules = report.rules
        guard !rules.isEmpty else {
            output += "No findings.\n"
            return
        }
        let idWidth = max(4, rules.map(\.ruleID.count).max() ?? 0)
        let countWidth = max(5, rules.map { String($0.count).count }.max() ?? 0)
        output += "\nSummary by rule\n"
        output += "  " + pad("RULE", idWidth) + "  SEVERITY  " + padLeft("COUNT", countWidth) + "  MESSAGE\n"
        for rule in rules {
            output += "  " + pad(rule.ruleID, idWidth) + "  " + pad(rule.severity.rawValue, 8) + "  "
            output += padLeft(String(rule.count), countWidth) + "  " + rule.message.description + "\n"
        }
        output += "\nFailing lines\n"
        for rule in rules {
            output += "  \(rule.ruleID) (\(rule.severity), \(rule.count)): \(rule.message)\n"
            for failure in rule.failures {
                output += "    line \(failure.line)" + (failure.column.map { ", column \($0)" } ?? "") + "\n"
            }
            if rule.unlisted > 0 { output += "    … \(rule.unlisted) more not listed\n" }
        }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    private static func padLeft(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    // MARK: - JSON

    private struct RowsJSON: Encodable {
        var read: Int
        var rejected: Int
        var warned: Int
        /// Loads only: valid rows skipped as older versions of stored claims (absent when none).
        var stale: Int?
    }

    private struct FindingsJSON: Encodable {
        var error: Int
        var warning: Int
        var info: Int
    }

    private struct FailureJSON: Encodable {
        var line: Int
        var column: String?
    }

    private struct RuleJSON: Encodable {
        var id: String
        var severity: String
        var message: String
        var count: Int
        var unlisted: Int
        var failures: [FailureJSON]
    }

    private struct FileJSON: Encodable {
        var file: String
        var rows: RowsJSON
        var findings: FindingsJSON
        var rules: [RuleJSON]
    }

    private struct SetJSON: Encodable {
        struct Totals: Encodable {
            var files: Int
            var rows: RowsJSON
            var findings: FindingsJSON
            var rules: [String: Int]
        }
        var files: [FileJSON]
        var totals: Totals
    }

    private static func fileJSON(_ report: ValidationReport) -> FileJSON {
        FileJSON(
            file: report.file.description,
            rows: RowsJSON(
                read: report.rowsRead,
                rejected: report.rowsRejected,
                warned: report.rowsWarned,
                stale: report.rowsStale > 0 ? report.rowsStale : nil
            ),
            findings: FindingsJSON(
                error: report.findingCount(.error),
                warning: report.findingCount(.warning),
                info: report.findingCount(.info)
            ),
            rules: report.rules.map { rule in
                RuleJSON(
                    id: rule.ruleID,
                    severity: rule.severity.rawValue,
                    message: rule.message.description,
                    count: rule.count,
                    unlisted: rule.unlisted,
                    failures: rule.failures.map { FailureJSON(line: $0.line, column: $0.column) }
                )
            }
        )
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding plain structs of strings and integers cannot fail.
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    package static func json(_ report: ValidationReport) -> String { encode(fileJSON(report)) }

    package static func json(_ set: ValidationReportSet) -> String {
        encode(
            SetJSON(
                files: set.files.map(fileJSON),
                totals: SetJSON.Totals(
                    files: set.files.count,
                    rows: RowsJSON(read: set.rowsRead, rejected: set.rowsRejected, warned: set.rowsWarned),
                    findings: FindingsJSON(
                        error: set.findingCount(.error),
                        warning: set.findingCount(.warning),
                        info: set.findingCount(.info)
                    ),
                    rules: set.ruleCounts
                )
            )
        )
    }

    // MARK: - HTML

    /// Escapes `& < > " '` for text and attribute values.
    package static func escapeHTML(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }

    private static let style = """
        body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem;color:#1d2330;\
        background:#fafbfc}
        h1{font-size:1.4rem;margin:0 0 1rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d8dde6;\
        padding-bottom:.3rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}
        table{border-collapse:collapse;margin:.4rem 0 1rem;background:#fff}
        th,td{border:1px solid #d8dde6;padding:.25rem .6rem;text-align:left;vertical-align:top}
        th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
        code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        .sev{display:inline-block;padding:0 .45rem;border-radius:3px;font-size:12px;font-weight:600}
        .sev-error{background:#fde2e1;color:#9b1c1c}.sev-warning{background:#fdf3d8;color:#7a5200}\
        .sev-info{background:#e1ecfd;color:#1c4b9b}
        details{margin:.3rem 0}summary{cursor:pointer}.muted{color:#5b6475}
        """

    package static func html(_ report: ValidationReport) -> String {
        page(title: "Validation report: \(report.file)") { body in
            appendHTML(report, headingLevel: 1, to: &body)
        }
    }

    package static func html(_ set: ValidationReportSet) -> String {
        page(title: "Validation report") { body in
            body += "<h1>Validation report</h1>\n<table>\n"
            body += "<tr><th>Files</th><td class=\"num\">\(set.files.count)</td></tr>\n"
            body += "<tr><th>Rows read</th><td class=\"num\">\(set.rowsRead)</td></tr>\n"
            body += "<tr><th>Rows rejected</th><td class=\"num\">\(set.rowsRejected)</td></tr>\n"
            body += "<tr><th>Rows with warnings</th><td class=\"num\">\(set.rowsWarned)</td></tr>\n"
            for severity in Severity.allCases {
                body += "<tr><th>\(severity) findings</th><td class=\"num\">\(set.findingCount(severity))</td></tr>\n"
            }
            body += "</table>\n"
            for report in set.files { appendHTML(report, headingLevel: 2, to: &body) }
        }
    }

    private static func page(title: String, _ build: (inout String) -> Void) -> String {
        var body = ""
        build(&body)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escapeHTML(title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    private static func appendHTML(_ report: ValidationReport, headingLevel: Int, to body: inout String) {
        let h = "h\(headingLevel)"
        let sub = "h\(headingLevel + 1)"
        body += "<\(h)>File <code>\(escapeHTML(report.file.description))</code></\(h)>\n"
        body += "<p>\(report.rowsRead) rows read, \(report.rowsRejected) rejected, "
        body += "\(report.rowsWarned) with warnings"
        if report.rowsStale > 0 {
            body += ", \(report.rowsStale) stale (older versions of stored claims: skipped, the stored claims kept)"
        }
        body += ".</p>\n"
        let rules = report.rules
        guard !rules.isEmpty else {
            body += "<p class=\"muted\">No findings.</p>\n"
            return
        }
        body += "<\(sub)>Summary by rule</\(sub)>\n<table>\n"
        body += "<tr><th>Rule</th><th>Severity</th><th>Count</th><th>Message</th></tr>\n"
        for rule in rules {
            body += "<tr><td><code>\(escapeHTML(rule.ruleID))</code></td>"
            body += "<td><span class=\"sev sev-\(rule.severity.rawValue)\">\(rule.severity.rawValue)</span></td>"
            body += "<td class=\"num\">\(rule.count)</td><td>\(escapeHTML(rule.message.description))</td></tr>\n"
        }
        body += "</table>\n<\(sub)>Failing lines</\(sub)>\n"
        for rule in rules {
            body += "<details><summary><code>\(escapeHTML(rule.ruleID))</code> "
            body += "<span class=\"sev sev-\(rule.severity.rawValue)\">\(rule.severity.rawValue)</span> "
            body += "\(rule.count) — \(escapeHTML(rule.message.description))</summary>\n"
            body += "<table>\n<tr><th>Line</th><th>Column</th></tr>\n"
            for failure in rule.failures {
                body += "<tr><td class=\"num\">\(failure.line)</td>"
                body += "<td>\(failure.column.map { "<code>\(escapeHTML($0))</code>" } ?? "")</td></tr>\n"
            }
            body += "</table>\n"
            if rule.unlisted > 0 { body += "<p class=\"muted\">… \(rule.unlisted) more not listed.</p>\n" }
            body += "</details>\n"
        }
    }
}
