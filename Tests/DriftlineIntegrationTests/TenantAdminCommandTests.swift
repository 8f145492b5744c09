import DriftlineCore
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// The admin commands that read or write tenant tables (`alerts list/silence/silences/expire/feedback`,
/// `drift list`, `uploads retry`) work one customer at a time with the tenant set, so they work for a login
/// that is only a member of `driftline_loader` — under row-level security, where a query without a tenant
/// sees nothing. Real processes, a real login role.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct TenantAdminCommandTests {
    static let alpha = TenantIsolationTests.alpha
    static let beta = TenantIsolationTests.beta

    static func json(_ result: DriftlineProcess.Result) throws -> [[String: Any]] {
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    @Test func adminCommandsWorkUnderRowLevelSecurityForALoaderLogin() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        for customer in [Self.alpha, Self.beta] {
            try workspace.drop(Claims.file(rows: 20, customer: customer), customer: customer, name: "claims.csv")
        }
        // A file without a header row: rejected as a whole, kept under rejected/alpha-clinic/.
        try workspace.drop(
            Claims.file(rows: 3, customer: Self.alpha, startingAt: 100).split(separator: "\n").dropFirst()
                .joined(separator: "\n") + "\n",
            customer: Self.alpha,
            name: "headless.csv"
        )
        let load = try DriftlineProcess.run(TenantIsolationTests.run, in: workspace.path, databaseURL: database.url)
        #expect(load.status == 65, "\(load.stderr)")
        let rejectedID = try #require(
            try database.scalar("SELECT upload_id FROM driftline.uploads WHERE status = 'rejected'")
        )
        let admin = try database.connect()
        try DriftEvents.insert(admin, customer: Self.alpha, payer: "AETNA")
        try DriftEvents.insert(admin, customer: Self.beta, payer: "CIGNA")

        let loader = try TenantIsolationTests.TestRole("rls_admin", "LOGIN IN ROLE driftline_loader")
        var outputs: [DriftlineProcess.Result] = []
        func run(_ arguments: [String], as url: String? = nil) throws -> DriftlineProcess.Result {
            let result = try DriftlineProcess.run(
                arguments,
                in: workspace.path,
                databaseURL: url ?? loader.url(database)
            )
            outputs.append(result)
            return result
        }

        let evaluated = try run(["alerts", "evaluate"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains("events 2"), "\(evaluated.stdout)")

        // alerts list: every customer's alerts, each read under its tenant; --customer one customer's.
        let alerts = try Self.json(try run(["alerts", "list", "--json"]))
        #expect(Set(alerts.compactMap { $0["customer_id"] as? String }) == [Self.alpha, Self.beta])
        let betaAlerts = try Self.json(try run(["alerts", "list", "--customer", Self.beta, "--json"]))
        #expect(!betaAlerts.isEmpty && betaAlerts.allSatisfy { $0["customer_id"] as? String == Self.beta })
        let betaAlert = try #require(betaAlerts.first?["alert_id"] as? Int)

        // alerts silence: a customer's, under its tenant; one for every customer needs a login that bypasses RLS.
        let until = CivilDate.format(CivilDate.today() + 3)
        let own = try run(
            [
                "alerts", "silence", "--customer", Self.alpha, "--match", "payer=AETNA", "--until", until, "--reason",
                "r",
            ]
        )
        #expect(own.status == 0, "\(own.stderr)")
        let global = ["alerts", "silence", "--match", "payer=CIGNA", "--until", until, "--reason", "every customer"]
        let refused = try run(global)
        #expect(refused.status == 77, "\(refused.stderr)")
        #expect(refused.stderr.contains("give --customer ID"), "\(refused.stderr)")
        let allowed = try run(global, as: database.url)
        #expect(allowed.status == 0, "\(allowed.stderr)")

        let silences = try Self.json(try run(["alerts", "silences", "--json"]))
        #expect(silences.count == 2, "\(silences)")
        let ownID = try #require(silences.first { $0["customer_id"] as? String == Self.alpha }?["silence_id"] as? Int)
        let globalID = try #require(silences.first { $0["customer_id"] == nil }?["silence_id"] as? Int)

        let expired = try run(["alerts", "expire", String(ownID)])
        #expect(expired.status == 0, "\(expired.stderr)")
        #expect(
            try database.scalar(
                "SELECT expired_by IS NOT NULL FROM driftline.alert_silences WHERE silence_id = $1",
                [String(ownID)]
            ) == "t"
        )
        #expect(try run(["alerts", "expire", String(globalID)]).status == 77)
        #expect(try run(["alerts", "expire", String(globalID)], as: database.url).status == 0)
        #expect(try run(["alerts", "expire", "999999"]).status == 65)

        let feedback = try run(["alerts", "feedback", String(betaAlert), "--noise"])
        #expect(feedback.status == 0, "\(feedback.stderr)")
        #expect(try database.scalar("SELECT customer_id FROM driftline.alert_feedback") == Self.beta)

        let drift = try Self.json(try run(["drift", "list", "--json"]))
        #expect(Set(drift.compactMap { $0["customer_id"] as? String }) == [Self.alpha, Self.beta], "\(drift)")

        let retried = try run(["uploads", "retry", rejectedID])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(workspace.files(in: "inbox") == ["\(Self.alpha)/headless.csv"])

        for output in outputs { #expect(!(output.stdout + output.stderr).contains(Claims.canary)) }
    }
}
