import DriftlineCore
import DriftlinePostgres
import DriftlineSamples
import DriftlineTestSupport
import Foundation

/// Generated claims with planted drift, loaded once per test process through the nightly pipeline
/// (`driftline run`, stages load → drift → report), plus a small canary upload for `zz-canary-clinic` whose claims
/// drift too (their decision time doubles), so the PHI test has an event built from rows holding the canary.
///
/// The generator's as-of date is 2026-11-22 (every claim decided by 2026-11-21) and the run's 2026-11-21, so
/// the stage's windows (current 2026-10-23 … 2026-11-21, baseline the 90 days before) are exactly the ones the
/// generator planted the drift in.
final class DriftFixture: @unchecked Sendable {
    /// A planted drift, with the canonical payer id the load stores.
    struct Planted: Hashable {
        var payer: String
        var type: DriftType
        var direction: DriftDirection
    }

    static let asOf = "2026-11-21"
    /// The first day of the planted drift (the first day of the current window).
    static let onset = "2026-10-23"
    static let canaryCustomer = "zz-canary-clinic"

    let database: TestDatabase
    let workspace: Workspace
    let planted: Set<Planted>
    let generatedCustomers: Set<String>
    /// `driftline run`'s output.
    let run: DriftlineProcess.Result
    /// What the pipeline's drift stage stored, before any test touched the table.
    let stageEvents: [DriftEventRecord]

    static let shared: Result<DriftFixture, any Error> = Result { try DriftFixture() }

    static func get() throws -> DriftFixture { try shared.get() }

    private init() throws {
        database = try TestDatabase()
        workspace = try Workspace(stages: ["load", "drift", "report"])
        let generated = FileManager.default.temporaryDirectory.appendingPathComponent(
            "driftline-drift-\(UUID().uuidString.prefix(8))"
        )
        defer { try? FileManager.default.removeItem(at: generated) }
        let generator = SampleGenerator(
            configuration: .init(rows: 120_000, customers: 3, seed: 21, drift: true, asOf: (2026, 11, 22))
        )
        let summary = try generator.write(to: generated)
        generatedCustomers = Set(summary.files.map(\.customerID))
        for file in summary.files {
            let data = try Data(contentsOf: generated.appendingPathComponent(file.path))
            try workspace.drop(data, customer: file.customerID, name: "claims.csv")
        }
        let payers = try PayerDirectory.load(directory: workspace.root.appendingPathComponent("rules"))
        let truth = try String(contentsOf: generated.appendingPathComponent("drift-truth.csv"), encoding: .utf8)
        planted = Self.planted(truth, payers)
        try workspace.drop(Self.canaryUpload(), customer: Self.canaryCustomer, name: "claims-canary.csv")

        run = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", Self.asOf],
            in: workspace.path,
            databaseURL: database.url
        )
        stageEvents = try DriftStore.all(on: database.connect())
    }

    /// drift-truth.csv (`payer,metric,baseline,current`) as the events should say it.
    static func planted(_ csv: String, _ payers: PayerDirectory) -> Set<Planted> {
        var planted = Set<Planted>()
        for line in csv.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            let baseline = Double(fields[2])!
            let current = Double(fields[3])!
            planted.insert(
                Planted(
                    payer: payers.canonicalID(fields[0]),
                    type: fields[1] == "denial_rate" ? .denialRate : .decisionTime,
                    direction: current > baseline ? .worse : .better
                )
            )
        }
        return planted
    }

    /// 40 paid AETNA E&M claims decided in the baseline window after 121 days, 40 in the current one after 191.
    static func canaryUpload() -> String {
        let baseline = (1...40).map { Claims.row($0, customer: canaryCustomer, decided: "2026-09-01") }
        let current = (41...80).map { Claims.row($0, customer: canaryCustomer, decided: "2026-11-10") }
        return ([Claims.header] + baseline + current).joined(separator: "\n") + "\n"
    }

    /// Runs `driftline arguments…` in the workspace against the fixture's database.
    func driftline(_ arguments: [String]) throws -> DriftlineProcess.Result {
        try DriftlineProcess.run(arguments, in: workspace.path, databaseURL: database.url)
    }

    /// Starts `driftline arguments…` without waiting.
    func start(_ arguments: [String]) throws -> DriftlineProcess.Running {
        try DriftlineProcess.start(arguments, in: workspace.path, databaseURL: database.url)
    }

    func events() throws -> [DriftEventRecord] { try DriftStore.all(on: database.connect()) }
}

extension DriftEventRecord {
    var planted: DriftFixture.Planted {
        DriftFixture.Planted(
            payer: payer,
            type: DriftType(rawValue: driftType)!,
            direction: DriftDirection(rawValue: direction)!
        )
    }
}

/// The events `driftline drift --json` printed.
func decodeEvents(_ stdout: String) throws -> [DriftEventRecord] {
    try JSONDecoder().decode([DriftEventRecord].self, from: Data(stdout.utf8))
}
