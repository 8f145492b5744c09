extension ValidationReport {
    /// A plain-text report: totals, a summary per rule (severity, count, message), then failing lines per rule.
    package func renderText() -> String { ValidationReportRenderer.text(self) }

    /// A JSON object with sorted keys: `file`, `rows` (`read`, `rejected`, `warned`), `findings` (per
    /// severity) and `rules` (`id`, `severity`, `message`, `count`, `unlisted`, `failures` of `line`/`column`).
    package func renderJSON() -> String { ValidationReportRenderer.json(self) }

    /// A self-contained HTML page (inline CSS, no scripts or external assets; all text escaped).
    package func renderHTML() -> String { ValidationReportRenderer.html(self) }
}
