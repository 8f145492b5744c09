import Foundation

/// Renders a ``RunReport`` as one self-contained HTML page: inline CSS and SVG, no script, no external URL
/// (a Content-Security-Policy of `default-src 'none'` says so to the browser). Every chart has a `<title>`, a
/// `<desc>` and a table with the same numbers; every table has headers. Labels use the words of the JSON
/// keys and the database columns (`as of`, `rows rejected`, `q value`).
package enum RunReportRenderer {
    package static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

    package static func html(_ report: RunReport) -> String {
        var page = Page()
        let run = report.run
        let scope = report.customer.map { " · customer \($0)" } ?? ""
        page += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        page += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(contentSecurityPolicy)\">"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        page += "<meta name=\"referrer\" content=\"no-referrer\">"
        page += "<title>Driftline run \(run.runID) · \(esc(run.pipeline)) · as of \(esc(run.asOf))\(esc(scope))</title>"
        page += "<style>\(css)</style></head><body><main>"
        header(report, into: &page)
        stages(run, into: &page)
        uploads(report, into: &page)
        drift(report, into: &page)
        alerts(report, into: &page)
        page += "<footer>Generated \(esc(report.generatedAt)) by <code>driftline report \(run.runID)"
        if let customer = report.customer { page += " --customer \(esc(customer))" }
        page += "</code>. Aggregates only: counts, rates, medians, ids and rule codes; no claim value.</footer>"
        page += "</main></body></html>\n"
        return page.text
    }

    // MARK: - Sections

    private static func header(_ report: RunReport, into page: inout Page) {
        let run = report.run
        let exit = run.exit
        let totals = run.totals
        page += "<header><p class=\"eyebrow\">Driftline · pipeline <b>\(esc(run.pipeline))</b>"
        if let customer = report.customer { page += " · customer <b>\(esc(customer))</b> only" }
        page +=
            "</p><h1>Run \(run.runID) <span class=\"pill \(statusClass(run.status))\">\(esc(run.status))</span></h1>"
        page += "<p class=\"meta\">as of <b>\(esc(run.asOf))</b> · started \(esc(run.startedAt))"
        if let finished = run.finishedAt { page += " · finished \(esc(finished))" }
        if let seconds = run.durationSeconds { page += " · \(duration(seconds))" }
        page += "</p>"
        page += "<p class=\"exit \(exit.code == 0 ? "good" : "bad")\">exit status <b>"
        page += exit.code.map { String($0) } ?? "–"
        page += "</b> — \(esc(exit.meaning))</p></header>"

        let uploads = report.uploads
        let rowsRead = report.customer == nil ? totals["rows_read"] ?? 0 : uploads.reduce(0) { $0 + $1.rowsRead }
        let rowsRejected =
            report.customer == nil ? totals["rows_rejected"] ?? 0 : uploads.reduce(0) { $0 + $1.rowsRejected }
        let tiles: [(String, String, String)] = [
            ("files loaded", grouped(Int64(uploads.reduce(0) { $0 + $1.filesLoaded })), ""),
            (
                "files rejected", grouped(Int64(uploads.reduce(0) { $0 + $1.filesRejected })),
                uploads.contains { $0.filesRejected > 0 } ? "bad" : ""
            ),
            ("rows read", grouped(rowsRead), ""),
            ("rows loaded", grouped(uploads.reduce(0) { $0 + $1.rowsLoaded }), ""),
            ("rows rejected", grouped(rowsRejected), rowsRejected > 0 ? "warn" : ""),
            ("drift events", grouped(Int64(report.drift.count)), report.drift.isEmpty ? "" : "warn"),
            ("alerts notified", report.alerts.map { grouped(Int64($0.notified)) } ?? "–", ""),
        ]
        page += "<section aria-label=\"Totals\"><dl class=\"tiles\">"
        for (label, value, tone) in tiles {
            page += "<div class=\"tile \(tone)\"><dt>\(label)</dt><dd>\(value)</dd></div>"
        }
        page += "</dl></section>"
    }

    private static func stages(_ run: RunReport.Run, into page: inout Page) {
        page += "<section><h2>Stages</h2>"
        guard !run.stages.isEmpty else {
            page += "<p class=\"empty\">No stages recorded.</p></section>"
            return
        }
        // Stages one after another, each as long as its last attempt took (a resumed or rerun stage
        // started later than the run's first process: its wall-clock offset would only show the wait).
        var offsets: [Double] = []
        var elapsed = 0.0
        for stage in run.stages {
            offsets.append(elapsed)
            elapsed += stage.durationSeconds ?? 0
        }
        let total = max(elapsed, 0.001)
        let rowHeight = 26.0
        let labelWidth = 90.0
        let width = 640.0
        let plot = width - labelWidth - 70
        let height = rowHeight * Double(run.stages.count) + 22
        let description = run.stages.map { "\($0.name) \($0.status) \(duration($0.durationSeconds))" }
            .joined(separator: "; ")
        page += "<figure class=\"timeline\"><svg viewBox=\"0 0 \(num(width)) \(num(height))\" role=\"img\" "
        page += "aria-labelledby=\"stages-title stages-desc\" preserveAspectRatio=\"xMinYMin meet\">"
        page += "<title id=\"stages-title\">Stage timeline of run \(run.runID)</title>"
        page += "<desc id=\"stages-desc\">Each stage as a bar as long as it took, one after another, "
        page += "\(duration(total)) in all: \(esc(description)).</desc>"
        for tick in 0...4 {
            let x = labelWidth + plot * Double(tick) / 4
            page += "<line class=\"grid\" x1=\"\(num(x))\" y1=\"0\" x2=\"\(num(x))\" y2=\"\(num(height - 18))\"/>"
            page += "<text class=\"axis\" x=\"\(num(x))\" y=\"\(num(height - 4))\" text-anchor=\"middle\">"
            page += "\(duration(total * Double(tick) / 4))</text>"
        }
        for (index, stage) in run.stages.enumerated() {
            let y = Double(index) * rowHeight
            page += "<text class=\"label\" x=\"0\" y=\"\(num(y + 17))\">\(esc(stage.name))</text>"
            guard stage.status != "pending" else { continue }
            let x = labelWidth + plot * offsets[index] / total
            let barWidth = max(plot * (stage.durationSeconds ?? 0) / total, 2)
            page += "<rect class=\"bar \(statusClass(stage.status))\" x=\"\(num(x))\" y=\"\(num(y + 5))\" "
            page += "width=\"\(num(barWidth))\" height=\"16\" rx=\"3\"/>"
            page += "<text class=\"value\" x=\"\(num(x + barWidth + 6))\" y=\"\(num(y + 17))\">"
            page += "\(duration(stage.durationSeconds))</text>"
        }
        page += "</svg></figure>"
        page +=
            "<div class=\"scroll\"><table><caption>Stages, in order</caption><thead><tr><th scope=\"col\">stage</th>"
        page += "<th scope=\"col\">status</th><th scope=\"col\" class=\"n\">duration</th>"
        page += "<th scope=\"col\">summary</th></tr></thead><tbody>"
        for stage in run.stages {
            let summary = stage.summary.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
                .joined(separator: " · ")
            page += "<tr><th scope=\"row\">\(esc(stage.name))</th>"
            page += "<td><span class=\"pill \(statusClass(stage.status))\">\(esc(stage.status))</span></td>"
            page +=
                "<td class=\"n\">\(duration(stage.durationSeconds))</td><td class=\"wrap\">\(esc(summary))</td></tr>"
        }
        page += "</tbody></table></div></section>"
    }

    private static func uploads(_ report: RunReport, into page: inout Page) {
        page += "<section><h2>Uploads by customer</h2>"
        guard !report.uploads.isEmpty else {
            page += "<p class=\"empty\">No upload in this run.</p></section>"
            return
        }
        let limit = report.maxRejectRate
        page += "<p class=\"note\">A file whose reject rate exceeds <b>max_reject_rate \(percent(limit))</b> "
        page += "is rejected as a whole. Each file name links to that upload's own report.</p>"
        for customer in report.uploads {
            page += "<article class=\"card\"><h3>\(esc(customer.customerID))</h3>"
            page += "<p class=\"meta\">files loaded <b>\(customer.filesLoaded)</b> · files rejected "
            page += "<b class=\"\(customer.filesRejected > 0 ? "bad" : "")\">\(customer.filesRejected)</b> · "
            page +=
                "rows read <b>\(grouped(customer.rowsRead))</b> · rows loaded <b>\(grouped(customer.rowsLoaded))</b>"
            page += " · rows rejected <b>\(grouped(customer.rowsRejected))</b></p>"
            page += "<div class=\"scroll\"><table><caption>Uploads of \(esc(customer.customerID))</caption><thead><tr>"
            page +=
                "<th scope=\"col\">file</th><th scope=\"col\">status</th><th scope=\"col\" class=\"n\">rows read</th>"
            page += "<th scope=\"col\" class=\"n\">rows loaded</th><th scope=\"col\" class=\"n\">rows rejected</th>"
            page += "<th scope=\"col\">reject rate vs max_reject_rate</th></tr></thead><tbody>"
            for upload in customer.uploads {
                let name = esc(upload.fileName)
                let file = upload.reportLink.map { "<a href=\"\(esc($0))\">\(name)</a>" } ?? name
                page += "<tr><th scope=\"row\">\(file)</th><td><span class=\"pill \(statusClass(upload.status))\">"
                page += "\(esc(upload.status))</span>"
                if let code = upload.errorCode { page += " <code>\(esc(code))</code>" }
                page += "</td><td class=\"n\">\(grouped(upload.rowsRead))</td>"
                page += "<td class=\"n\">\(grouped(upload.rowsLoaded))</td>"
                page += "<td class=\"n\">\(grouped(upload.rowsRejected))</td>"
                page += "<td>\(meter(upload.rejectRate, limit: limit))</td></tr>"
            }
            page += "</tbody></table></div>"
            if !customer.topRules.isEmpty {
                page += "<table class=\"rules\"><caption>Top rules by count</caption><thead><tr>"
                page +=
                    "<th scope=\"col\">rule</th><th scope=\"col\">severity</th><th scope=\"col\" class=\"n\">count</th>"
                page += "</tr></thead><tbody>"
                for rule in customer.topRules {
                    page += "<tr><th scope=\"row\"><code>\(esc(rule.ruleID))</code></th>"
                    page += "<td><span class=\"sev-\(esc(rule.severity))\">\(esc(rule.severity))</span></td>"
                    page += "<td class=\"n\">\(grouped(rule.count))</td></tr>"
                }
                page += "</tbody></table>"
            }
            page += "</article>"
        }
        page += "</section>"
    }

    private static func drift(_ report: RunReport, into page: inout Page) {
        page += "<section><h2>Drift events</h2>"
        guard !report.drift.isEmpty else {
            page += "<p class=\"empty\">No drift event as of \(esc(report.run.asOf)).</p></section>"
            return
        }
        page += "<p class=\"note\">Weekly values by decision date across the baseline (grey) and current (amber) "
        page += "windows; dashed lines are each window's value, the band the 95% interval of the current "
        page += "denial rate (baseline + the interval of the change). Most severe first.</p><div class=\"events\">"
        let sorted = report.drift.sorted {
            ($0.severityRank, $0.customerID, $0.payer, $0.cptGroup, $0.driftType)
                < ($1.severityRank, $1.customerID, $1.payer, $1.cptGroup, $1.driftType)
        }
        for event in sorted { driftCard(event, into: &page) }
        page += "</div></section>"
    }

    private static func driftCard(_ event: RunReport.DriftChart, into page: inout Page) {
        let id = "drift-\(event.eventID)"
        let group = event.cptGroup.isEmpty ? "no group" : event.cptGroup
        let what = event.isDenialRate ? "denial rate" : "median decision time"
        let value: (Double) -> String = event.isDenialRate ? { percent($0) } : { days($0) }
        let title = "\(event.customerID) · \(event.payer) · \(group): \(what)"
        page += "<article class=\"card event \(esc(event.direction))\" aria-labelledby=\"\(id)-h\">"
        page += "<h3 id=\"\(id)-h\"><span class=\"pill sev \(esc(event.severity))\">\(esc(event.severity))</span> "
        page += "\(esc(event.payer)) · \(esc(group)) <small>\(esc(event.customerID))</small></h3>"
        page += "<div class=\"event-body\">"
        chart(event, id: id, title: title, value: value, into: &page)
        page += "<dl class=\"facts\">"
        page +=
            "<div><dt>\(what)</dt><dd class=\"big\">\(value(event.baselineValue)) → \(value(event.currentValue))</dd></div>"
        var change = event.isDenialRate ? points(event.absChange) : signedDays(event.absChange)
        if let relative = event.relChange { change += String(format: " (%+.0f%%)", relative * 100) }
        page += "<div><dt>change</dt><dd>\(esc(change))</dd></div>"
        if let low = event.ciLow, let high = event.ciHigh {
            page +=
                "<div><dt>95% interval</dt><dd>\(String(format: "%+.1f … %+.1f", low * 100, high * 100)) pts</dd></div>"
        }
        page += "<div><dt>q value</dt><dd>\(String(format: "%.2g", event.qValue))</dd></div>"
        page += "<div><dt>direction</dt><dd class=\"dir\">\(event.direction == "worse" ? "▲" : "▼") "
        page += "\(esc(event.direction))</dd></div>"
        page += "<div><dt>decided claims</dt><dd>\(grouped(event.baselineN)) → \(grouped(event.currentN))</dd></div>"
        page += "</dl></div>"
        page += "<details><summary>Weekly values (table)</summary><table><caption>\(esc(title)), by week</caption>"
        page += "<thead><tr><th scope=\"col\">week ending</th><th scope=\"col\">window</th>"
        page +=
            "<th scope=\"col\" class=\"n\">decided</th><th scope=\"col\" class=\"n\">\(what)</th></tr></thead><tbody>"
        for week in event.weeks {
            page += "<tr><th scope=\"row\">\(esc(week.end))</th><td>\(week.isCurrent ? "current" : "baseline")</td>"
            page +=
                "<td class=\"n\">\(grouped(week.decided))</td><td class=\"n\">\(week.value.map(value) ?? "–")</td></tr>"
        }
        page += "</tbody></table></details></article>"
    }

    private static func chart(
        _ event: RunReport.DriftChart,
        id: String,
        title: String,
        value: (Double) -> String,
        into page: inout Page
    ) {
        let width = 360.0
        let height = 170.0
        let left = 42.0
        let right = 8.0
        let top = 18.0
        let bottom = 22.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let weeks = event.weeks
        var high = max(weeks.compactMap(plotted).max() ?? 0, event.baselineValue, event.currentValue)
        if let ciHigh = event.ciHigh { high = max(high, event.baselineValue + ciHigh) }
        high = niceCeiling(high * 1.1, rate: event.isDenialRate)
        let count = max(weeks.count, 1)
        let step = plotWidth / Double(count)
        let split = weeks.firstIndex { $0.isCurrent } ?? weeks.count
        func x(_ index: Int) -> Double { left + step * (Double(index) + 0.5) }
        func y(_ v: Double) -> Double { top + plotHeight * (1 - min(max(v / high, 0), 1)) }
        let currentX = left + step * Double(split)

        page += "<svg class=\"chart\" viewBox=\"0 0 \(num(width)) \(num(height))\" role=\"img\" "
        page += "aria-labelledby=\"\(id)-t \(id)-d\">"
        page +=
            "<title id=\"\(id)-t\">\(esc(title)), weekly, \(esc(event.baselineStart)) to \(esc(event.currentEnd))</title>"
        page += "<desc id=\"\(id)-d\">Baseline \(esc(event.baselineStart)) to \(esc(event.baselineEnd)): "
        page += "\(value(event.baselineValue)) over \(grouped(event.baselineN)) decided claims. Current "
        page += "\(esc(event.currentStart)) to \(esc(event.currentEnd)): \(value(event.currentValue)) over "
        page += "\(grouped(event.currentN)). Weekly: "
        page += esc(weeks.map { "\($0.end) \($0.value.map(value) ?? "none")" }.joined(separator: ", "))
        page += ".</desc>"
        // Windows.
        page += "<rect class=\"win-base\" x=\"\(num(left))\" y=\"\(num(top))\" width=\"\(num(currentX - left))\" "
        page += "height=\"\(num(plotHeight))\"/>"
        page += "<rect class=\"win-cur\" x=\"\(num(currentX))\" y=\"\(num(top))\" "
        page += "width=\"\(num(left + plotWidth - currentX))\" height=\"\(num(plotHeight))\"/>"
        page += "<text class=\"win-label\" x=\"\(num(left + 4))\" y=\"\(num(top - 5))\">baseline</text>"
        page += "<text class=\"win-label\" x=\"\(num(currentX + 4))\" y=\"\(num(top - 5))\">current</text>"
        // Grid and axis.
        for tick in 0...2 {
            let v = high * Double(tick) / 2
            page += "<line class=\"grid\" x1=\"\(num(left))\" y1=\"\(num(y(v)))\" x2=\"\(num(left + plotWidth))\" "
            page += "y2=\"\(num(y(v)))\"/>"
            page += "<text class=\"axis\" x=\"\(num(left - 4))\" y=\"\(num(y(v) + 3))\" text-anchor=\"end\">"
            page += "\(event.isDenialRate ? percent(v, digits: 0) : days(v, digits: 0))</text>"
        }
        page += "<text class=\"axis\" x=\"\(num(left))\" y=\"\(num(height - 6))\">\(esc(event.baselineStart))</text>"
        page += "<text class=\"axis\" x=\"\(num(left + plotWidth))\" y=\"\(num(height - 6))\" text-anchor=\"end\">"
        page += "\(esc(event.currentEnd))</text>"
        // The interval of the current rate: baseline + the change's interval.
        if let low = event.ciLow, let ciHigh = event.ciHigh {
            let bandTop = y(event.baselineValue + ciHigh)
            let bandBottom = y(event.baselineValue + low)
            page += "<rect class=\"ci\" x=\"\(num(currentX))\" y=\"\(num(bandTop))\" "
            page += "width=\"\(num(left + plotWidth - currentX))\" height=\"\(num(max(bandBottom - bandTop, 1)))\">"
            page += "<title>95% interval \(percent(event.baselineValue + low)) … "
            page += "\(percent(event.baselineValue + ciHigh))</title></rect>"
        }
        // Each window's value.
        page += "<line class=\"level base\" x1=\"\(num(left))\" y1=\"\(num(y(event.baselineValue)))\" "
        page += "x2=\"\(num(currentX))\" y2=\"\(num(y(event.baselineValue)))\"/>"
        page += "<line class=\"level cur\" x1=\"\(num(currentX))\" y1=\"\(num(y(event.currentValue)))\" "
        page += "x2=\"\(num(left + plotWidth))\" y2=\"\(num(y(event.currentValue)))\"/>"
        // The weekly series (a gap where a week has no decided claim).
        var path = ""
        var pen = false
        for (index, week) in weeks.enumerated() {
            guard let v = plotted(week) else {
                pen = false
                continue
            }
            path += "\(pen ? "L" : "M")\(num(x(index))) \(num(y(v)))"
            pen = true
        }
        if !path.isEmpty { page += "<path class=\"series\" d=\"\(path)\"/>" }
        for (index, week) in weeks.enumerated() {
            guard let v = plotted(week) else { continue }
            page +=
                "<circle class=\"dot\(week.isCurrent ? " cur" : "")\" cx=\"\(num(x(index)))\" cy=\"\(num(y(v)))\" r=\"2.6\">"
            page +=
                "<title>week ending \(esc(week.end)): \(value(v)), \(grouped(week.decided)) decided</title></circle>"
        }
        page += "</svg>"
    }

    private static func alerts(_ report: RunReport, into page: inout Page) {
        page += "<section><h2>Alerts</h2>"
        guard let alerts = report.alerts else {
            page += "<p class=\"empty\">This database has no alert tables (the alerts stage is not installed).</p>"
            page += "</section>"
            return
        }
        page += "<dl class=\"tiles small\">"
        let tiles: [(String, Int, String)] = [
            ("notified", alerts.notified, ""), ("suppressed", alerts.suppressed, ""),
            ("messages delivered", alerts.messagesDelivered, "good"),
            ("messages pending", alerts.messagesPending, alerts.messagesPending > 0 ? "warn" : ""),
            ("dead-lettered", alerts.messagesDead, alerts.messagesDead > 0 ? "bad" : ""),
            ("silences in force", alerts.silences.count, ""),
        ]
        for (label, count, tone) in tiles {
            page += "<div class=\"tile \(tone)\"><dt>\(label)</dt><dd>\(count)</dd></div>"
        }
        page += "</dl>"
        let byReason = alerts.suppressedByReason
        if !byReason.isEmpty {
            page += "<table><caption>Suppressed, by reason</caption><thead><tr><th scope=\"col\">reason</th>"
            page += "<th scope=\"col\" class=\"n\">alerts</th></tr></thead><tbody>"
            for (reason, count) in byReason {
                page += "<tr><th scope=\"row\"><code>\(esc(reason))</code></th><td class=\"n\">\(count)</td></tr>"
            }
            page += "</tbody></table>"
        }
        if alerts.alerts.isEmpty {
            page += "<p class=\"empty\">No alert was evaluated for this run's drift events.</p>"
        } else {
            page += "<div class=\"scroll\"><table><caption>Every evaluation of this run's drift events</caption>"
            page +=
                "<thead><tr><th scope=\"col\">alert id</th><th scope=\"col\">customer</th><th scope=\"col\">payer</th>"
            page += "<th scope=\"col\">cpt group</th><th scope=\"col\">drift type</th><th scope=\"col\">severity</th>"
            page +=
                "<th scope=\"col\">rule</th><th scope=\"col\">status</th><th scope=\"col\">delivery</th></tr></thead><tbody>"
            for alert in alerts.alerts {
                let status = alert.status == "suppressed" ? "suppressed: \(alert.reason ?? "-")" : alert.status
                page += "<tr><th scope=\"row\">\(alert.alertID)</th><td>\(esc(alert.customerID))</td>"
                page += "<td>\(esc(alert.payer))</td><td>\(esc(alert.cptGroup.isEmpty ? "-" : alert.cptGroup))</td>"
                page += "<td>\(esc(alert.driftType))</td><td>\(esc(alert.severity))</td>"
                page += "<td><code>\(esc(alert.ruleID))</code></td><td>\(esc(status))</td>"
                let delivery = alert.delivery ?? (alert.status == "notify" ? "not queued" : "–")
                let channels = alert.channels.isEmpty ? "" : " (\(alert.channels.joined(separator: ", ")))"
                page +=
                    "<td><span class=\"pill \(statusClass(delivery))\">\(esc(delivery))</span>\(esc(channels))</td></tr>"
            }
            page += "</tbody></table></div>"
        }
        if !alerts.silences.isEmpty {
            page += "<table><caption>Silences in force</caption><thead><tr><th scope=\"col\">silence id</th>"
            page += "<th scope=\"col\">customer</th><th scope=\"col\">match</th><th scope=\"col\">until</th>"
            page += "<th scope=\"col\">by</th></tr></thead><tbody>"
            for silence in alerts.silences {
                page +=
                    "<tr><th scope=\"row\">\(silence.silenceID)</th><td>\(esc(silence.customerID ?? "every customer"))</td>"
                page += "<td>\(esc(silence.matchers))</td><td>\(esc(silence.endsAt))</td>"
                page += "<td>\(esc(silence.createdBy))</td></tr>"
            }
            page += "</tbody></table>"
        }
        page += "</section>"
    }

    // MARK: - Pieces

    /// Weeks with fewer decided claims are left out of the line (a gap; the table still lists them): one
    /// denial among two claims is not a 50% week.
    package static let minimumWeeklyClaims: Int64 = 5

    private static func plotted(_ week: RunReport.Week) -> Double? {
        week.decided >= minimumWeeklyClaims ? week.value : nil
    }

    /// A reject-rate bar with the `max_reject_rate` mark, and the rate as text.
    private static func meter(_ rate: Double, limit: Double) -> String {
        let scale = max(limit * 2, rate, 0.0001)
        let width = 120.0
        let fill = width * min(rate / scale, 1)
        let mark = width * limit / scale
        let tone = rate > limit ? "bad" : rate > 0 ? "warn" : "good"
        var svg = "<span class=\"meter\"><svg viewBox=\"0 0 \(num(width)) 10\" width=\"120\" height=\"10\" "
        svg += "aria-hidden=\"true\"><rect class=\"track\" width=\"\(num(width))\" height=\"10\" rx=\"2\"/>"
        svg += "<rect class=\"fill \(tone)\" width=\"\(num(max(fill, rate > 0 ? 2 : 0)))\" height=\"10\" rx=\"2\"/>"
        svg += "<line class=\"limit\" x1=\"\(num(mark))\" y1=\"0\" x2=\"\(num(mark))\" y2=\"10\"/></svg> "
        svg += "\(percent(rate, digits: 2)) <small>of \(percent(limit, digits: 0))</small></span>"
        return svg
    }

    private static func statusClass(_ status: String) -> String {
        switch status {
        case "succeeded", "loaded", "delivered", "notify", "ok": "good"
        case "failed", "rejected", "dead": "bad"
        case "running", "pending", "suppressed": "warn"
        default: "muted"
        }
    }

    private static func niceCeiling(_ value: Double, rate: Bool) -> Double {
        guard value > 0 else { return rate ? 0.1 : 10 }
        if rate {  // a multiple of 10 points (2 below 10%), so the middle tick is a round number too
            let step = value > 0.1 ? 0.1 : 0.02
            return min((value / step).rounded(.up) * step, 1)
        }
        let step = value > 50 ? 10.0 : value > 10 ? 5.0 : 2.0
        return (value / step).rounded(.up) * step
    }

    static func esc(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func num(_ value: Double) -> String { String(format: "%.1f", value) }

    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    private static func percent(_ value: Double, digits: Int = 1) -> String {
        String(format: "%.\(digits)f%%", value * 100)
    }
    private static func points(_ value: Double) -> String { String(format: "%+.1f pts", value * 100) }
    private static func days(_ value: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f d", value) }
    private static func signedDays(_ value: Double) -> String { String(format: "%+.1f d", value) }
    private static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "–" }
        if seconds < 1 { return String(format: "%.0f ms", seconds * 1000) }
        if seconds < 120 { return String(format: "%.1f s", seconds) }
        return String(
            format: "%.0f min %.0f s",
            (seconds / 60).rounded(.down),
            seconds.truncatingRemainder(dividingBy: 60)
        )
    }

    /// The page being built (a value, so the sections read as appends).
    private struct Page {
        var text = ""
        static func += (page: inout Page, piece: String) { page.text += piece }
    }

    private static let css = """
        :root{--ink:#1d2430;--muted:#5d6778;--line:#dfe3ea;--bg:#f6f7f9;--card:#fff;--good:#1f7a4d;--bad:#b42318;\
        --warn:#a15c07;--accent:#2f5bd3;--base:#e9edf3;--cur:#fdf0d5}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",\
        Roboto,"Liberation Sans",sans-serif}
        main{max-width:1120px;margin:0 auto;padding:24px 20px 40px}
        header h1{margin:.1em 0 .2em;font-size:28px;display:flex;gap:.5em;align-items:center;flex-wrap:wrap}
        .eyebrow{margin:0;color:var(--muted);font-size:13px;text-transform:uppercase;letter-spacing:.06em}
        .meta{margin:.2em 0;color:var(--muted)}
        .meta b{color:var(--ink)}
        .exit{margin:.6em 0 0;padding:8px 12px;border-radius:8px;background:var(--card);border-left:4px solid}
        .exit.good{border-color:var(--good)}
        .exit.bad{border-color:var(--bad)}
        h2{font-size:19px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
        h3{font-size:16px;margin:0 0 6px;display:flex;gap:.5em;align-items:center;flex-wrap:wrap}
        h3 small{color:var(--muted);font-weight:400}
        .tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px;margin:18px 0 0}
        .tiles.small{grid-template-columns:repeat(auto-fit,minmax(120px,1fr));margin:0 0 12px}
        .tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 12px}
        .tile dt{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
        .tile dd{margin:2px 0 0;font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
        .tile.bad dd{color:var(--bad)}
        .tile.warn dd{color:var(--warn)}
        .tile.good dd{color:var(--good)}
        .card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px;\
        margin:0 0 14px;break-inside:avoid}
        .pill{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:999px;\
        background:#eef0f4;color:var(--muted);vertical-align:middle}
        .pill.good{background:#e3f4ea;color:var(--good)}
        .pill.bad{background:#fde7e5;color:var(--bad)}
        .pill.warn{background:#fdf0d5;color:var(--warn)}
        .pill.sev.high{background:var(--bad);color:#fff}
        .pill.sev.medium{background:#e8831a;color:#fff}
        .pill.sev.low{background:#8a94a6;color:#fff}
        table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:14px;background:var(--card)}
        caption{text-align:left;color:var(--muted);font-size:13px;padding:2px 0 6px}
        th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:middle}
        thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
        tbody th{font-weight:500}
        .n{text-align:right;font-variant-numeric:tabular-nums}
        .scroll{overflow-x:auto}
        .wrap{overflow-wrap:anywhere;font-size:13px;color:var(--muted)}
        table.rules{max-width:520px}
        code{font:13px ui-monospace,"DejaVu Sans Mono",monospace}
        .note,.empty{color:var(--muted);margin:4px 0 12px}
        a{color:var(--accent)}
        .bad{color:var(--bad)}
        .sev-error{color:var(--bad)}
        .sev-warning{color:var(--warn)}
        .sev-info{color:var(--muted)}
        .timeline svg{width:100%;max-width:760px;height:auto}
        figure{margin:0 0 8px}
        svg text{font:11px system-ui,"Liberation Sans",sans-serif;fill:var(--muted)}
        svg .label{font-size:13px;fill:var(--ink)}
        svg .value{fill:var(--ink)}
        .grid{stroke:var(--line);stroke-width:1}
        .bar{fill:var(--accent)}
        .bar.bad{fill:var(--bad)}
        .bar.warn{fill:#e8a33d}
        .bar.muted{fill:#b8c0cc}
        .meter{display:inline-flex;gap:6px;align-items:center;white-space:nowrap;font-variant-numeric:tabular-nums}
        .meter .track{fill:#eef0f4}
        .meter .fill.good{fill:var(--good)}
        .meter .fill.warn{fill:#e8a33d}
        .meter .fill.bad{fill:var(--bad)}
        .meter .limit{stroke:var(--ink);stroke-width:2}
        .events{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:14px}
        .events .card{margin:0}
        .event{border-top:4px solid #8a94a6}
        .event.worse{border-top-color:var(--bad)}
        .event.better{border-top-color:var(--good)}
        .event-body{display:flex;gap:14px;flex-wrap:wrap;align-items:flex-start}
        .chart{flex:1 1 320px;max-width:560px;width:100%;height:auto}
        .win-base{fill:var(--base)}
        .win-cur{fill:var(--cur)}
        .win-label{font-size:10px;text-transform:uppercase;letter-spacing:.05em}
        .ci{fill:#e8831a;fill-opacity:.22;stroke:#e8831a;stroke-opacity:.5;stroke-dasharray:3 2}
        .level{stroke-width:1.5;stroke-dasharray:5 3}
        .level.base{stroke:#56627a}
        .level.cur{stroke:#c2410c}
        .series{fill:none;stroke:var(--ink);stroke-width:1.6;stroke-linejoin:round}
        .dot{fill:var(--ink)}
        .dot.cur{fill:#c2410c}
        .facts{flex:1 1 150px;margin:0;display:grid;grid-template-columns:1fr 1fr;gap:6px 12px;align-content:start}
        .facts dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.04em}
        .facts dd{margin:0;font-variant-numeric:tabular-nums;white-space:nowrap}
        .facts .big{font-size:18px;font-weight:650}
        .facts div:first-child{grid-column:1/-1}
        .worse .dir{color:var(--bad)}
        .better .dir{color:var(--good)}
        details{margin-top:6px}
        summary{cursor:pointer;color:var(--muted);font-size:13px}
        footer{margin-top:32px;color:var(--muted);font-size:12px}
        @media (max-width:600px){main{padding:14px 10px}.events{grid-template-columns:1fr}header h1{font-size:22px}\
        .tile dd{font-size:20px}th,td{padding:5px 6px}}
        @media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}.card,.tile{border-color:#bbb}\
        .events{grid-template-columns:1fr 1fr}a{color:inherit;text-decoration:none}section{break-inside:auto}\
        h2{break-after:avoid}.scroll{overflow:visible}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
        """
}
