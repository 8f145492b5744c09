import ArgumentParser
import DriftlineCore
import DriftlineSamples
import Foundation

struct SamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Synthetic claim uploads (no real PHI).",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write realistic synthetic uploads in the inbox layout: OUT/<customer>/claims-<seed>.csv."
        )

        @Option(help: "Output folder.") var out: String
        @Option(help: "Total rows.") var rows = 10_000
        @Option(help: "Number of customers (Pareto mix: 20% send 80% of rows).") var customers = 5
        @Option(help: "Random seed: the same seed writes the same bytes.") var seed: UInt64 = 1
        @Option(help: "Fraction of rows made bad on purpose (listed in dirty-lines.csv).") var dirty: Double = 0
        @Flag(help: "Plant denial-rate and decision-time drift (ground truth in drift-truth.csv).") var drift = false
        @Option(
            name: .customLong("drift-count"),
            help: "Plant this many drifts (payer × metric, worse or better); implies --drift."
        )
        var driftCount: Int?
        @Option(
            help: """
                canonical: the format's own spellings; realistic: payer names and codes as customers' systems \
                export them; mapped: the realistic content in a customer's own format (Windows-1252, '|', \
                US dates and amounts, its header names), with OUT/profiles/<customer>.yaml.
                """
        )
        var style: String = "canonical"
        @Option(name: .customLong("as-of"), help: "Business date the data ends before, YYYY-MM-DD.") var asOf =
            "2026-11-21"
        @Option(
            name: .customLong("history-days"),
            help: "Days of decisions before the as-of date; rows spread evenly over them (at least 120 for --drift)."
        )
        var historyDays = SampleGenerator.defaultHistoryDays

        func run() throws {
            guard let day = CivilDate.parse(asOf) else { throw ValidationError("--as-of must be YYYY-MM-DD") }
            guard (0...1).contains(dirty) else { throw ValidationError("--dirty must be between 0 and 1") }
            guard let style = SampleStyle(rawValue: style) else {
                throw ValidationError("--style must be canonical, realistic or mapped")
            }
            let (y, m, d) = CivilDate.civil(day)
            let generator = SampleGenerator(
                configuration: .init(
                    rows: rows,
                    customers: customers,
                    seed: seed,
                    dirtyFraction: dirty,
                    drift: drift || driftCount != nil,
                    asOf: (Int(y), Int(m), Int(d)),
                    style: style,
                    driftCount: driftCount,
                    historyDays: historyDays
                )
            )
            let started = Date()
            let summary = try generator.write(to: URL(fileURLWithPath: out))
            let seconds = Date().timeIntervalSince(started)
            print(
                "wrote \(summary.rows) rows in \(summary.files.count) files to \(out) in \(String(format: "%.2f", seconds))s"
            )
            if summary.badLines > 0 { print("bad lines: \(summary.badLines) (see \(summary.dirtyLinesPath ?? "-"))") }
            if let truth = summary.driftTruthPath { print("drift ground truth: \(truth)") }
        }
    }
}
