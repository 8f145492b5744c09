import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Logging
import Testing

/// The drift stage and `driftline drift` on generated claims with planted drift (``DriftFixture``): ground
/// truth, idempotency over reruns and backfills, two concurrent processes, and the PHI canary.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct DriftTests {
    @Test func nightlyPipelineFindsEveryPlantedDriftAndNothingElse() throws {
        let fixture = try DriftFixture.get()
        #expect(fixture.run.status == 0, "\(fixture.run.stdout)\n\(fixture.run.stderr)")
        #expect(!fixture.planted.isEmpty)
        let generated = fixture.stageEvents.filter { fixture.generatedCustomers.contains($0.customerID) }
        #expect(generated.allSatisfy { $0.currentEnd == DriftFixture.asOf && $0.runID == 1 })
        // Recall: every planted (payer, type, direction) has an event, in the right direction.
        let found = Set(generated.map(\.planted))
        for drift in fixture.planted {
            #expect(found.contains(drift), "planted drift not found: \(drift)")
        }
        // No false positive: no event on a payer and type without planted drift, none in the wrong direction.
        let falsePositives = generated.filter { !fixture.planted.contains($0.planted) }
        #expect(falsePositives.isEmpty, "events on unplanted triples: \(falsePositives.map(\.planted))")

        // Recall per triple, among the planted triples whose windows both hold the minimum volume.
        let connection = try fixture.database.connect()
        let aggregates = try DriftStore.aggregates(
            windows: DriftSettings().windows(asOf: CivilDate.parse(DriftFixture.asOf)!),
            customers: UploadTotals.customers(on: connection),
            on: connection
        )
        var testable = 0
        var flagged = 0
        let plantedTypes = Dictionary(grouping: fixture.planted, by: \.payer)
        let flaggedKeys = Set(generated.map { "\($0.customerID)|\($0.payer)|\($0.cptGroup)|\($0.driftType)" })
        for aggregate in aggregates where fixture.generatedCustomers.contains(aggregate.triple.customerID) {
            for drift in plantedTypes[aggregate.triple.payer] ?? [] {
                guard aggregate.baseline.denials.decided >= 30, aggregate.current.denials.decided >= 30 else {
                    continue
                }
                testable += 1
                let key = "\(aggregate.triple.customerID)|\(aggregate.triple.payer)|\(aggregate.triple.cptGroup)|"
                if flaggedKeys.contains(key + drift.type.rawValue) { flagged += 1 }
            }
        }
        print(
            "drift ground truth: \(fixture.planted.count) planted, \(found.count) found, \(falsePositives.count) false"
                + " positives; triples: \(flagged) of \(testable) testable planted triples flagged"
        )
        #expect(flagged > 0)

        // The stage checkpointed its counts.
        let summary = try fixture.database.scalar(
            "SELECT summary::text FROM driftline.stage_runs WHERE run_id = 1 AND stage = 'drift' AND status = 'succeeded'"
        )
        #expect(summary?.contains("\"events_found\": \(fixture.stageEvents.count)") == true, "\(summary ?? "-")")
    }

    /// The detector's inputs are exact: what the stage's statement returns (run as the stage runs it, under
    /// row-level security with each customer's tenant set in turn) equals every decided claim of the windows
    /// counted here one by one.
    @Test func aggregationEqualsTheWindowsClaimsCountedOneByOne() throws {
        let fixture = try DriftFixture.get()
        let windows = DriftSettings().windows(asOf: CivilDate.parse(DriftFixture.asOf)!)
        let connection = try fixture.database.connect()
        let customers = try UploadTotals.customers(on: connection)
        let stored = try connection.withTenant(customers[0]) {
            try DriftStore.aggregates(windows: windows, customers: customers, on: connection)
        }

        let claims = try connection.query(
            """
            SELECT customer_id, payer, coalesce(cpt_group, ''), decided_date >= $2::date,
                   decided_date - submitted_date, outcome = 'denied'
              FROM driftline.claims
             WHERE decided_date BETWEEN $1::date AND $3::date AND outcome <> 'pending'
            """,
            [
                CivilDate.format(windows.baselineStart), CivilDate.format(windows.currentStart),
                CivilDate.format(windows.currentEnd),
            ],
            operation: "read the windows' claims"
        )
        struct Window {
            var denied = 0
            var decided = 0
            var days: [DecisionTimeHistogram.Bin] = []
        }
        var windowsByTriple: [DriftTriple: (baseline: Window, current: Window)] = [:]
        for row in claims.rows {
            let triple = DriftTriple(customerID: row[0]!, payer: row[1]!, cptGroup: row[2]!)
            var entry = windowsByTriple[triple] ?? (Window(), Window())
            var window = row[3] == "t" ? entry.current : entry.baseline
            window.decided += 1
            if row[5] == "t" { window.denied += 1 }
            let days = Int(row[4]!)!
            if days >= 0 { window.days.append(DecisionTimeHistogram.Bin(days: days, count: 1)) }
            if row[3] == "t" { entry.current = window } else { entry.baseline = window }
            windowsByTriple[triple] = entry
        }
        func aggregate(_ window: Window) -> DriftWindowAggregate {
            DriftWindowAggregate(
                denials: DenialCounts(denied: window.denied, decided: window.decided),
                decisionDays: DecisionTimeHistogram(window.days)
            )
        }
        let expected = Dictionary(
            uniqueKeysWithValues: windowsByTriple.map { triple, windows in
                (
                    triple,
                    DriftAggregate(
                        triple: triple,
                        baseline: aggregate(windows.baseline),
                        current: aggregate(windows.current)
                    )
                )
            }
        )
        #expect(claims.rows.count > 10_000)
        #expect(Set(expected.keys.map(\.customerID)).count >= 3, "several customers: the tenant changed in between")
        #expect(stored.count == expected.count, "one aggregate per triple")
        #expect(Dictionary(stored.map { ($0.triple, $0) }, uniquingKeysWith: { first, _ in first }) == expected)
    }

    /// The stage shares batches of customers out to two connections (a second core for the per-customer
    /// statements): one customer per batch and two connections find what one statement on one connection finds.
    @Test func batchesSharedOutToTwoConnectionsFindWhatOneConnectionFinds() throws {
        let fixture = try DriftFixture.get()
        let asOf = CivilDate.parse(DriftFixture.asOf)!
        func evaluate(perStatement: Int, connections: Int) throws -> DriftService.Outcome {
            let service = DriftService(
                settings: DriftSettings(),
                logger: Logger(label: "test.drift-lanes"),
                customersPerStatement: perStatement,
                aggregationConnections: connections
            )
            return try service.evaluate(
                asOf: asOf,
                customerID: nil,
                runID: nil,
                connections: ConnectionProvider(url: fixture.database.url)
            )
        }
        let one = try evaluate(perStatement: 32, connections: 1)
        let shared = try evaluate(perStatement: 1, connections: 2)
        #expect(try UploadTotals.customers(on: fixture.database.connect()).count >= 3, "more batches than connections")
        #expect(one.triples > 0)
        #expect(shared.triples == one.triples)
        #expect(Set(shared.detection.events) == Set(one.detection.events))
        #expect(shared.detection.testsRun == one.detection.testsRun)
        #expect(shared.records == one.records)
        #expect(Set(one.records.map(\.key)) == Set(fixture.stageEvents.map(\.key)), "what the stage found")
    }

    @Test func rerunAndBackfillCreateNoDuplicatesAndChangeNoStoredEvent() throws {
        let fixture = try DriftFixture.get()
        let first = try fixture.driftline([
            "drift", "--as-of", DriftFixture.asOf, "--pipeline", "pipelines/nightly.yaml",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        let stored = try fixture.events()
        #expect(!stored.isEmpty)
        let again = try fixture.driftline(["drift", "--as-of", DriftFixture.asOf, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try fixture.events() == stored)
        // It still prints what it found: the same events, stored by the earlier run.
        let printed = try decodeEvents(again.stdout)
        #expect(Set(printed) == Set(stored.filter { $0.currentEnd == DriftFixture.asOf }))

        // A backfill over the planted onset: every day's windows; the day already evaluated is left alone.
        let backfill = ["drift", "--from", DriftFixture.onset, "--to", DriftFixture.asOf, "--json"]
        let filled = try fixture.driftline(backfill)
        #expect(filled.status == 0, "\(filled.stderr)")
        let afterBackfill = try fixture.events()
        let before = Dictionary(uniqueKeysWithValues: stored.map { ($0.key, $0) })
        for event in afterBackfill where before[event.key] != nil {
            #expect(before[event.key] == event, "a stored event changed")
        }
        #expect(Set(stored.map(\.key)).isSubset(of: Set(afterBackfill.map(\.key))))
        #expect(afterBackfill.count > stored.count)
        #expect(Set(afterBackfill.map(\.key)).count == afterBackfill.count)

        let refilled = try fixture.driftline(backfill)
        #expect(refilled.status == 0, "\(refilled.stderr)")
        #expect(try fixture.events() == afterBackfill)
        #expect(try decodeEvents(refilled.stdout) == (try decodeEvents(filled.stdout)))
        // What a run prints is what is stored.
        #expect(Set(try decodeEvents(refilled.stdout)) == Set(afterBackfill))

        // Detection delay: days from the planted onset to the first event of each planted drift.
        let onset = CivilDate.parse(DriftFixture.onset)!
        var delays: [String] = []
        for drift in fixture.planted.sorted(by: { "\($0)" < "\($1)" }) {
            let days = try decodeEvents(filled.stdout)
                .filter { fixture.generatedCustomers.contains($0.customerID) && $0.planted == drift }
                .map { CivilDate.parse($0.currentEnd)! - onset }
                .min()
            #expect(days != nil, "\(drift) never found in the backfill")
            delays.append("\(drift.payer) \(drift.type) \(drift.direction): \(days.map { "\($0)" } ?? "-") days")
        }
        print("drift detection delay: " + delays.joined(separator: "; "))
    }

    /// The store inserts what is new and returns what was stored before as it was stored, within one customer
    /// as across customers (migration 0021 reads back only the events its insert skipped).
    @Test func storeInsertsTheNewEventsAndReturnsTheStoredOnesUnchanged() throws {
        let fixture = try DriftFixture.get()
        let database = fixture.database
        let ends = ["2030-01-31", "2030-02-28"]
        let cleanup = "DELETE FROM driftline.drift_events WHERE current_end >= '\(ends[0])'"
        try database.connect().execute(cleanup, operation: "test reset")
        defer { _ = try? database.connect().execute(cleanup, operation: "test cleanup") }
        // A real event of each of two customers, moved to two window ends of their own: two events a customer.
        let firsts = Dictionary(grouping: fixture.stageEvents, by: \.customerID).compactMap { $0.value.first }
            .sorted { $0.key < $1.key }.prefix(2)
        try #require(firsts.count == 2, "the fixture's stage found events of two customers")
        let events = firsts.flatMap { event in
            ends.map { end in
                var moved = event
                moved.eventID = nil
                moved.createdAt = nil
                moved.runID = nil
                moved.currentEnd = end
                return moved
            }
        }

        func store(_ records: [DriftEventRecord]) throws -> (inserted: Int, stored: [DriftEventRecord]) {
            let connection = try database.connect()
            return try connection.withTenant(records.map(\.customerID).min()!) {
                try DriftStore.insert(records, on: connection)
            }
        }
        // One event of each customer first; then all four, the first two with other values.
        let first = try store([events[0], events[2]])
        #expect(first.inserted == 2)
        #expect(first.stored.map(\.key) == [events[0].key, events[2].key])
        #expect(first.stored.allSatisfy { $0.eventID != nil && $0.createdAt != nil })
        var changed = events
        changed[0].currentValue += 0.5
        changed[2].pValue = 0.5
        let second = try store(changed.reversed())
        #expect(second.inserted == 2)
        #expect(second.stored.map(\.key) == events.map(\.key).sorted())
        let stored = Dictionary(uniqueKeysWithValues: second.stored.map { ($0.key, $0) })
        for earlier in first.stored { #expect(stored[earlier.key] == earlier, "a stored event changed") }
        #expect(stored[events[1].key]?.currentValue == events[1].currentValue)
        let count = "SELECT count(*) FROM driftline.drift_events WHERE current_end >= '\(ends[0])'"
        #expect(try database.scalar(count) == "4")
        // All of them again: nothing inserted, everything returned as stored.
        let third = try store(events)
        #expect(third.inserted == 0)
        #expect(third.stored == second.stored)
    }

    @Test func twoConcurrentProcessesStoreEachEventOnceWithoutDeadlock() throws {
        let fixture = try DriftFixture.get()
        try fixture.database.connect().execute("DELETE FROM driftline.drift_events", operation: "test reset")
        let arguments = ["drift", "--from", "2026-11-07", "--to", DriftFixture.asOf, "--json"]
        let processes = try (0..<2).map { _ in try fixture.start(arguments) }
        let results = processes.map { $0.wait() }
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let stored = try fixture.events()
        #expect(!stored.isEmpty)
        // No duplicate: each key once (the constraint), and each event inserted by exactly one of the two.
        #expect(Set(stored.map(\.key)).count == stored.count)
        let runs = Set(stored.compactMap(\.runID))
        #expect(runs.count <= 2 && !runs.isEmpty)
        // None lost: both found the same events, and every one of them is stored.
        let found = try results.map { Set(try decodeEvents($0.stdout).map(\.key)) }
        #expect(found[0] == found[1])
        #expect(found[0] == Set(stored.map(\.key)))
        // Nothing deadlocked, not even once before a retry.
        for result in results { #expect(!result.stderr.contains("40P01"), "\(result.stderr)") }
        let inserted = try fixture.database.rows(
            "SELECT (summary ->> 'events_inserted')::bigint FROM driftline.stage_runs s JOIN driftline.runs r USING (run_id)"
                + " WHERE r.pipeline = 'drift' ORDER BY run_id DESC LIMIT 2"
        )
        #expect(inserted.compactMap { $0[0].flatMap { Int($0) } }.reduce(0, +) == stored.count)
    }

    @Test func canaryNeverReachesDriftOutputLogsOrEvents() throws {
        let fixture = try DriftFixture.get()
        let canary = Claims.canary
        // The canary customer's claims drifted: an event is built from rows that hold the canary.
        #expect(fixture.stageEvents.contains { $0.customerID == DriftFixture.canaryCustomer })
        #expect(!fixture.run.stdout.contains(canary) && !fixture.run.stderr.contains(canary))
        for arguments in [
            ["drift", "--as-of", DriftFixture.asOf, "--verbose"],
            [
                "drift", "--as-of", DriftFixture.asOf, "--json", "--log-format", "json", "--customer",
                DriftFixture.canaryCustomer,
            ],
            ["drift", "list", "--customer", DriftFixture.canaryCustomer], ["drift", "list", "--json"],
        ] {
            let result = try fixture.driftline(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(!result.stdout.contains(canary) && !result.stderr.contains(canary), "\(arguments)")
        }
        let text = try fixture.database.scalar(
            "SELECT string_agg(e::text, ' ') FROM driftline.drift_events e"
        )
        #expect(text?.contains(canary) == false)
        let summaries = try fixture.database.scalar(
            "SELECT string_agg(summary::text || parameters::text, ' ') FROM driftline.stage_runs JOIN driftline.runs USING (run_id)"
        )
        #expect(summaries?.contains(canary) == false)
    }

    @Test func listFiltersAndPages() throws {
        let fixture = try DriftFixture.get()
        _ = try fixture.driftline(["drift", "--as-of", DriftFixture.asOf])
        let all = try decodeEvents(try fixture.driftline(["drift", "list", "--json", "--limit", "100000"]).stdout)
        #expect(!all.isEmpty)
        let payer = all[0].payer
        let filtered = try decodeEvents(
            try fixture.driftline(["drift", "list", "--json", "--payer", payer, "--customer", all[0].customerID]).stdout
        )
        #expect(!filtered.isEmpty && filtered.allSatisfy { $0.payer == payer && $0.customerID == all[0].customerID })
        let page = try decodeEvents(try fixture.driftline(["drift", "list", "--json", "--limit", "2"]).stdout)
        #expect(page.count == min(2, all.count))
        let recent = try decodeEvents(
            try fixture.driftline(["drift", "list", "--json", "--since", DriftFixture.asOf]).stdout
        )
        #expect(recent.allSatisfy { $0.currentEnd >= DriftFixture.asOf } && !recent.isEmpty)
        let table = try fixture.driftline(["drift", "list", "--customer", all[0].customerID])
        #expect(table.stdout.contains("BEFORE → AFTER") && table.stdout.contains(payer), "\(table.stdout)")
    }
}

/// Exit statuses of `driftline drift` (no generated data needed).
@Suite(.enabled(if: DriftlineProcess.isAvailable))
struct DriftCommandTests {
    @Test func badDriftSectionExits78NamingTheLine() throws {
        let workspace = try Workspace()
        let pipeline = "name: nightly\nstages: [load, drift]\ndrift:\n  current_days: 30\n  baseline_dayz: 90\n"
        try pipeline.write(to: workspace.root.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let result = try DriftlineProcess.run(
            ["drift", "--pipeline", "bad.yaml", "--as-of", "2026-11-21"],
            in: workspace.path,
            databaseURL: "postgresql:///nowhere?host=/nonexistent"
        )
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("bad.yaml") && result.stderr.contains("baseline_dayz"), "\(result.stderr)")
        #expect(result.stderr.contains("5"), "\(result.stderr)")
    }

    @Test func unreachableDatabaseExits69() throws {
        let workspace = try Workspace()
        for arguments in [["drift", "--as-of", "2026-11-21"], ["drift", "list"]] {
            let result = try DriftlineProcess.run(
                arguments,
                in: workspace.path,
                databaseURL: "postgresql:///nowhere?host=/nonexistent"
            )
            #expect(result.status == 69, "\(arguments): \(result.stderr)")
        }
    }
}
