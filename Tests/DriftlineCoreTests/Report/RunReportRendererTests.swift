import DriftlineCore
import Foundation
import Testing

/// The run report's page from plain values, no database: self-contained, accessible, escaped, sorted.
@Suite struct RunReportRendererTests {
    static func week(_ end: String, _ decided: Int64, _ value: Double?, current: Bool = false) -> RunReport.Week {
        RunReport.Week(start: end, end: end, decided: decided, value: value, isCurrent: current)
    }

    static func event(_ id: Int64, severity: String, payer: String = "AETNA") -> RunReport.DriftChart {
        RunReport.DriftChart(
            eventID: id,
            customerID: "acme-clinic",
            payer: payer,
            cptGroup: "E&M",
            driftType: "denial_rate",
            baselineStart: "2026-07-25",
            baselineEnd: "2026-10-22",
            currentStart: "2026-10-23",
            currentEnd: "2026-11-21",
            baselineN: 300,
            currentN: 120,
            baselineValue: 0.1,
            currentValue: 0.4,
            absChange: 0.3,
            relChange: 3,
            ciLow: 0.2,
            ciHigh: 0.39,
            qValue: 1e-12,
            severity: severity,
            direction: "worse",
            weeks: [
                week("2026-10-08", 30, 0.1), week("2026-10-15", 2, 1.0), week("2026-10-22", 28, 0.11),
                week("2026-10-29", 30, 0.4, current: true), week("2026-11-05", 0, nil, current: true),
            ]
        )
    }

    static let report = RunReport(
        run: RunReport.Run(
            runID: 7,
            pipeline: "nightly",
            status: "succeeded",
            asOf: "2026-11-21",
            startedAt: "2026-11-22T02:00:00Z",
            finishedAt: "2026-11-22T02:00:09Z",
            durationSeconds: 9,
            stages: [
                RunReport.Stage(
                    name: "load",
                    status: "succeeded",
                    durationSeconds: 6,
                    summary: ["files_loaded": 1, "files_rejected": 0, "rows_read": 120]
                ),
                RunReport.Stage(name: "drift", status: "succeeded", durationSeconds: 2, summary: ["drift_events": 2]),
            ]
        ),
        uploads: [
            RunReport.CustomerUploads(
                customerID: "acme-clinic",
                uploads: [
                    RunReport.Upload(
                        uploadID: 1,
                        fileName: "<b>claims</b>.csv",
                        status: "loaded",
                        rowsRead: 120,
                        rowsLoaded: 116,
                        rowsRejected: 4,
                        reportLink: "../archive/acme-clinic/2026-11-21/%3Cb%3Eclaims%3C/b%3E.csv.report.html"
                    )
                ],
                topRules: [RunReport.RuleCount(ruleID: "format.decided_date", severity: "error", count: 3)]
            )
        ],
        drift: [event(1, severity: "low", payer: "CIGNA"), event(2, severity: "high")],
        alerts: RunReport.Alerts(
            alerts: [
                RunReport.Alert(
                    alertID: 1,
                    ruleID: "all-drift",
                    customerID: "acme-clinic",
                    payer: "AETNA",
                    cptGroup: "E&M",
                    driftType: "denial_rate",
                    severity: "high",
                    status: "notify",
                    channels: ["default"],
                    delivery: "delivered"
                ),
                RunReport.Alert(
                    alertID: 2,
                    ruleID: "all-drift",
                    customerID: "acme-clinic",
                    payer: "CIGNA",
                    cptGroup: "E&M",
                    driftType: "denial_rate",
                    severity: "low",
                    status: "suppressed",
                    reason: "silenced"
                ),
            ],
            messagesDelivered: 1,
            messagesDead: 1,
            silences: [
                RunReport.Silence(
                    silenceID: 3,
                    customerID: nil,
                    matchers: "payer=CIGNA",
                    endsAt: "2026-12-01 00:00Z",
                    createdBy: "ops"
                )
            ]
        ),
        generatedAt: "2026-11-22T02:00:10Z"
    )

    @Test func thePageIsSelfContained() {
        let page = RunReportRenderer.html(Self.report)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "))
        #expect(page.contains("<meta name=\"viewport\""))
        #expect(page.contains("@media print"))
        for forbidden in ["<script", "http://", "https://", "src=", "url(", "@import", "<link"] {
            #expect(!page.contains(forbidden), "\(forbidden)")
        }
    }

    @Test func everyChartHasATitleADescriptionAndATableAndEveryTableHasHeaders() throws {
        let page = RunReportRenderer.html(Self.report)
        let charts = page.components(separatedBy: "<svg").dropFirst().filter { $0.contains("role=\"img\"") }
        #expect(charts.count == 3)  // the stage timeline and two drift charts
        for chart in charts {
            let body = chart.components(separatedBy: "</svg>")[0]
            let labelled = try #require(body.firstMatch(of: /aria-labelledby="([^" ]+) ([^"]+)"/))
            #expect(body.contains("<title id=\"\(labelled.1)\">"))
            #expect(body.contains("<desc id=\"\(labelled.2)\">"))
        }
        let tables = page.components(separatedBy: "<table").dropFirst()
        #expect(tables.count >= 7)
        for table in tables { #expect(table.contains("<th scope=\"col\">") || table.contains("<th scope=\"col\" ")) }
        // Each drift chart's numbers as a table too.
        #expect(page.components(separatedBy: "<summary>Weekly values (table)</summary>").count == 3)
    }

    @Test func textIsEscaped() {
        let page = RunReportRenderer.html(Self.report)
        #expect(!page.contains("<b>claims</b>"))
        #expect(page.contains("&lt;b&gt;claims&lt;/b&gt;.csv"))
        #expect(page.contains("E&amp;M") && !page.contains("E&M"))
    }

    @Test func eventsAreSortedBySeverityAndThinWeeksAreNotPlotted() throws {
        let page = RunReportRenderer.html(Self.report)
        let high = try #require(page.range(of: "id=\"drift-2-h\""))
        let low = try #require(page.range(of: "id=\"drift-1-h\""))
        #expect(high.lowerBound < low.lowerBound)
        // Per chart: weeks of 30, 28 and 30 decided claims are dots; 2 claims (a 100% week) and none are not.
        let chart = String(page[high.lowerBound...]).components(separatedBy: "</svg>")[0]
        #expect(chart.components(separatedBy: "<circle").count - 1 == 3)
        #expect(!chart.contains("100.0%, 2 decided"))
        #expect(chart.contains("class=\"ci\""))
        #expect(page.contains("10.0% → 40.0%"))
        #expect(page.contains("+30.0 pts (+300%)"))
    }

    @Test func theRunsExitStatusAndTheAlertsAreExplained() {
        let page = RunReportRenderer.html(Self.report)
        #expect(page.contains("exit status <b>0</b> — every file loaded"))
        #expect(page.contains("<dt>dead-lettered</dt><dd>1</dd>"))
        #expect(page.contains("<dt>silences in force</dt><dd>1</dd>"))
        #expect(page.contains("<code>silenced</code>"))
        #expect(page.contains("every customer"))
        var rejected = Self.report
        rejected.run.stages[0].summary["files_rejected"] = 1
        #expect(RunReportRenderer.html(rejected).contains("exit status <b>65</b>"))
        var failed = Self.report
        failed.run.status = "failed"
        failed.run.error = "database unavailable"
        #expect(RunReportRenderer.html(failed).contains("failed: database unavailable"))
    }

    @Test func aCustomersPageSaysSo() {
        var report = Self.report
        report.customer = "acme-clinic"
        let page = RunReportRenderer.html(report)
        #expect(page.contains("customer <b>acme-clinic</b> only"))
        #expect(page.contains("--customer acme-clinic"))
    }

    @Test func theReportStagesPageShowsTheRunAsItEnds() {
        var run = Self.report.run
        run.status = "running"
        run.stages.append(RunReport.Stage(name: "report", status: "running"))
        run.markFinishing(stage: "report", at: "2026-11-22T02:00:10Z")
        #expect(run.status == "succeeded" && run.finishedAt == "2026-11-22T02:00:10Z")
        var failedEarlier = Self.report.run
        failedEarlier.status = "running"
        failedEarlier.stages[1].status = "failed"
        failedEarlier.markFinishing(stage: "report", at: "x")
        #expect(failedEarlier.status == "running")
    }

    @Test func sparklines() {
        #expect(Sparkline.render([0, 1, nil, 0.5]) == "▁█ ▅")
        #expect(Sparkline.render([0.2, 0.2]) == "▄▄")
        #expect(Sparkline.render([0, 0.5, 1, 1], separator: 2) == "▁▅│██")
        #expect(Sparkline.render([nil, nil]) == "")
    }
}
