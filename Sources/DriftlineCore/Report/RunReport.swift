/// Everything the run report shows, as plain values gathered from the database: aggregates only (counts,
/// rates, ids, codes, file names of the inbox layout), never a row value.
///
/// Built by `RunReportStore.gather` (DriftlinePostgres); rendered by ``RunReportRenderer``, which needs no
/// database. With a customer set, every part holds that customer's data and nothing of any other.
package struct RunReport: Sendable, Equatable {
    package var run: Run
    /// The customer the report is limited to (`--customer`), or `nil` for every customer.
    package var customer: String?
    package var maxRejectRate: Double
    package var uploads: [CustomerUploads]
    package var drift: [DriftChart]
    /// `nil` when the database has no alert tables (a schema before alerts).
    package var alerts: Alerts?
    /// When the page was made (`YYYY-MM-DDTHH:MM:SSZ`).
    package var generatedAt: String

    package init(
        run: Run,
        customer: String? = nil,
        maxRejectRate: Double = 0.05,
        uploads: [CustomerUploads] = [],
        drift: [DriftChart] = [],
        alerts: Alerts? = nil,
        generatedAt: String
    ) {
        self.run = run
        self.customer = customer
        self.maxRejectRate = maxRejectRate
        self.uploads = uploads
        self.drift = drift
        self.alerts = alerts
        self.generatedAt = generatedAt
    }

    /// The run: `driftline.runs` and its `stage_runs`.
    package struct Run: Sendable, Equatable {
        package var runID: Int64
        package var pipeline: String
        package var status: String
        package var asOf: String
        package var startedAt: String
        package var finishedAt: String?
        package var durationSeconds: Double?
        package var error: String?
        package var stages: [Stage]

        package init(
            runID: Int64,
            pipeline: String,
            status: String,
            asOf: String,
            startedAt: String,
            finishedAt: String? = nil,
            durationSeconds: Double? = nil,
            error: String? = nil,
            stages: [Stage] = []
        ) {
            self.runID = runID
            self.pipeline = pipeline
            self.status = status
            self.asOf = asOf
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.durationSeconds = durationSeconds
            self.error = error
            self.stages = stages
        }

        /// The run as it ends: the page is written by its last stage (`report`), while the run is still
        /// `running`. When every other stage succeeded, the run shows as succeeded at `time`.
        package mutating func markFinishing(stage name: String, at time: String) {
            guard status == "running",
                stages.allSatisfy({ $0.name == name || $0.status == "succeeded" || $0.status == "skipped" })
            else { return }
            status = "succeeded"
            finishedAt = time
            for index in stages.indices where stages[index].name == name { stages[index].status = "succeeded" }
        }

        /// The counters of every stage's checkpoint, summed (`files_loaded`, `rows_read`, `drift_events`, …).
        package var totals: [String: Int64] {
            var totals: [String: Int64] = [:]
            for stage in stages where stage.name != "report" { totals.merge(stage.summary, uniquingKeysWith: +) }
            return totals
        }

        /// The exit status the run ended with and its meaning (README, exit codes).
        package var exit: (code: Int?, meaning: String) {
            switch status {
            case "running": return (nil, "still running (or abandoned: `driftline resume \(runID)`)")
            case "failed":
                return (nil, "failed: " + (error ?? "see the log") + " (69 database, 70 internal, 78 configuration)")
            default:
                let totals = totals
                if (totals["files_rejected"] ?? 0) + (totals["files_left"] ?? 0) > 0 {
                    return (65, "a file was rejected as a whole or an inbox entry could not be taken")
                }
                if (totals["notifications_undelivered"] ?? 0) > 0 {
                    return (76, "an alert notification was dead-lettered or could not be delivered")
                }
                return (0, "every file loaded (row-level rejects are in the upload reports)")
            }
        }
    }

    /// One checkpointed stage.
    package struct Stage: Sendable, Equatable {
        package var name: String
        package var status: String
        package var durationSeconds: Double?
        package var summary: [String: Int64]

        package init(
            name: String,
            status: String,
            durationSeconds: Double? = nil,
            summary: [String: Int64] = [:]
        ) {
            self.name = name
            self.status = status
            self.durationSeconds = durationSeconds
            self.summary = summary
        }
    }

    /// One customer's uploads in the run.
    package struct CustomerUploads: Sendable, Equatable {
        package var customerID: String
        package var uploads: [Upload]
        /// Finding counts by rule across the customer's uploads, most frequent first.
        package var topRules: [RuleCount]

        package init(customerID: String, uploads: [Upload], topRules: [RuleCount] = []) {
            self.customerID = customerID
            self.uploads = uploads
            self.topRules = topRules
        }

        package var filesLoaded: Int { uploads.filter { $0.status == "loaded" }.count }
        package var filesRejected: Int { uploads.filter { $0.status == "rejected" }.count }
        package var rowsRead: Int64 { uploads.reduce(0) { $0 + $1.rowsRead } }
        package var rowsLoaded: Int64 { uploads.reduce(0) { $0 + $1.rowsLoaded } }
        package var rowsRejected: Int64 { uploads.reduce(0) { $0 + $1.rowsRejected } }
        package var rejectRate: Double { rowsRead == 0 ? 0 : Double(rowsRejected) / Double(rowsRead) }
    }

    /// One upload: counts and where its own report is.
    package struct Upload: Sendable, Equatable {
        package var uploadID: Int64
        package var fileName: String
        package var status: String
        package var rowsRead: Int64
        package var rowsLoaded: Int64
        package var rowsRejected: Int64
        package var errorCode: String?
        /// The upload's `.report.html`, relative to the page (`nil` when unknown).
        package var reportLink: String?

        package init(
            uploadID: Int64,
            fileName: String,
            status: String,
            rowsRead: Int64,
            rowsLoaded: Int64,
            rowsRejected: Int64,
            errorCode: String? = nil,
            reportLink: String? = nil
        ) {
            self.uploadID = uploadID
            self.fileName = fileName
            self.status = status
            self.rowsRead = rowsRead
            self.rowsLoaded = rowsLoaded
            self.rowsRejected = rowsRejected
            self.errorCode = errorCode
            self.reportLink = reportLink
        }

        package var rejectRate: Double { rowsRead == 0 ? 0 : Double(rowsRejected) / Double(rowsRead) }
    }

    package struct RuleCount: Sendable, Equatable {
        package var ruleID: String
        package var severity: String
        package var count: Int64

        package init(ruleID: String, severity: String, count: Int64) {
            self.ruleID = ruleID
            self.severity = severity
            self.count = count
        }
    }

    /// One drift event and the weekly series it is drawn over.
    package struct DriftChart: Sendable, Equatable {
        package var eventID: Int64
        package var customerID: String
        package var payer: String
        package var cptGroup: String
        /// `denial_rate` (values are proportions) or `decision_time` (values are days).
        package var driftType: String
        package var baselineStart: String
        package var baselineEnd: String
        package var currentStart: String
        package var currentEnd: String
        package var baselineN: Int64
        package var currentN: Int64
        package var baselineValue: Double
        package var currentValue: Double
        package var absChange: Double
        package var relChange: Double?
        package var ciLow: Double?
        package var ciHigh: Double?
        package var qValue: Double
        package var severity: String
        package var direction: String
        /// Weeks from the baseline's start to the current window's end, oldest first.
        package var weeks: [Week]

        package init(
            eventID: Int64,
            customerID: String,
            payer: String,
            cptGroup: String,
            driftType: String,
            baselineStart: String,
            baselineEnd: String,
            currentStart: String,
            currentEnd: String,
            baselineN: Int64,
            currentN: Int64,
            baselineValue: Double,
            currentValue: Double,
            absChange: Double,
            relChange: Double? = nil,
            ciLow: Double? = nil,
            ciHigh: Double? = nil,
            qValue: Double,
            severity: String,
            direction: String,
            weeks: [Week] = []
        ) {
            self.eventID = eventID
            self.customerID = customerID
            self.payer = payer
            self.cptGroup = cptGroup
            self.driftType = driftType
            self.baselineStart = baselineStart
            self.baselineEnd = baselineEnd
            self.currentStart = currentStart
            self.currentEnd = currentEnd
            self.baselineN = baselineN
            self.currentN = currentN
            self.baselineValue = baselineValue
            self.currentValue = currentValue
            self.absChange = absChange
            self.relChange = relChange
            self.ciLow = ciLow
            self.ciHigh = ciHigh
            self.qValue = qValue
            self.severity = severity
            self.direction = direction
            self.weeks = weeks
        }

        package var isDenialRate: Bool { driftType == "denial_rate" }

        /// Severity rank for sorting: high first.
        package var severityRank: Int {
            switch severity {
            case "high": 0
            case "medium": 1
            default: 2
            }
        }
    }

    /// One week of decided claims (the 7 days ending at `end`).
    package struct Week: Sendable, Equatable {
        package var start: String
        package var end: String
        /// Decided claims (paid or denied) that week.
        package var decided: Int64
        /// The denial rate or the median decision time (days); `nil` when no claim was decided.
        package var value: Double?
        /// `true` when the week falls in the current window.
        package var isCurrent: Bool

        package init(start: String, end: String, decided: Int64, value: Double?, isCurrent: Bool) {
            self.start = start
            self.end = end
            self.decided = decided
            self.value = value
            self.isCurrent = isCurrent
        }
    }

    /// What the alerts and deliver stages did with the run's drift events.
    package struct Alerts: Sendable, Equatable {
        package var alerts: [Alert]
        package var messagesDelivered: Int
        package var messagesPending: Int
        package var messagesDead: Int
        package var silences: [Silence]

        package init(
            alerts: [Alert] = [],
            messagesDelivered: Int = 0,
            messagesPending: Int = 0,
            messagesDead: Int = 0,
            silences: [Silence] = []
        ) {
            self.alerts = alerts
            self.messagesDelivered = messagesDelivered
            self.messagesPending = messagesPending
            self.messagesDead = messagesDead
            self.silences = silences
        }

        package var notified: Int { alerts.filter { $0.status == "notify" }.count }
        package var suppressed: Int { alerts.filter { $0.status == "suppressed" }.count }
        /// Suppressed alerts by reason, most frequent first.
        package var suppressedByReason: [(reason: String, count: Int)] {
            var counts: [String: Int] = [:]
            for alert in alerts where alert.status == "suppressed" { counts[alert.reason ?? "-", default: 0] += 1 }
            return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
        }
    }

    package struct Alert: Sendable, Equatable {
        package var alertID: Int64
        package var ruleID: String
        package var customerID: String
        package var payer: String
        package var cptGroup: String
        package var driftType: String
        package var severity: String
        package var status: String
        package var reason: String?
        package var channels: [String]
        /// `delivered`, `pending` or `dead`: the outbox message that carries it, if any.
        package var delivery: String?

        package init(
            alertID: Int64,
            ruleID: String,
            customerID: String,
            payer: String,
            cptGroup: String,
            driftType: String,
            severity: String,
            status: String,
            reason: String? = nil,
            channels: [String] = [],
            delivery: String? = nil
        ) {
            self.alertID = alertID
            self.ruleID = ruleID
            self.customerID = customerID
            self.payer = payer
            self.cptGroup = cptGroup
            self.driftType = driftType
            self.severity = severity
            self.status = status
            self.reason = reason
            self.channels = channels
            self.delivery = delivery
        }
    }

    /// A silence in force when the page was made (its reason is the operator's own text).
    package struct Silence: Sendable, Equatable {
        package var silenceID: Int64
        /// `nil`: every customer.
        package var customerID: String?
        package var matchers: String
        package var endsAt: String
        package var createdBy: String

        package init(silenceID: Int64, customerID: String?, matchers: String, endsAt: String, createdBy: String) {
            self.silenceID = silenceID
            self.customerID = customerID
            self.matchers = matchers
            self.endsAt = endsAt
            self.createdBy = createdBy
        }
    }
}
