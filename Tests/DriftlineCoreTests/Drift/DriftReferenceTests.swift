import DriftlineCore
import Foundation
import Testing

/// Every drift statistic against statsmodels, scipy and numpy (`drift_reference.json`), to 1e-9 relative.
@Suite("Drift statistics against statsmodels and scipy")
struct DriftReferenceTests {
    let reference: DriftReference

    init() throws {
        reference = try DriftReference.load()
    }

    private static func histogram(_ pairs: [[Int]]) -> DecisionTimeHistogram {
        DecisionTimeHistogram(pairs.map { DecisionTimeHistogram.Bin(days: $0[0], count: $0[1]) })
    }

    @Test("the fixture holds every kind of case")
    func fixtureCoversTheCases() {
        #expect(reference.denialRate.count >= 15)
        #expect(reference.decisionTime.count >= 10)
        #expect(reference.benjaminiHochberg.count >= 4)
        // The tails: p-values below 1e-12 (and one that underflows to 0) are among the references.
        #expect(reference.denialRate.contains { ($0.pValue ?? 1) < 1e-12 })
        #expect(reference.decisionTime.contains { $0.pValue < 1e-100 })
        #expect(reference.decisionTime.contains { $0.pValue == 0 })
    }

    @Test("two-proportion z-test: z and p-value as proportions_ztest (pooled, two-sided)")
    func twoProportionZTest() throws {
        for ref in reference.denialRate {
            let test = try #require(
                TwoProportionZTest(
                    baseline: DenialCounts(denied: ref.baselineDenied, decided: ref.baselineDecided),
                    current: DenialCounts(denied: ref.currentDenied, decided: ref.currentDecided)
                ),
                "\(ref.name)"
            )
            if let z = ref.z, let p = ref.pValue {
                expectClose(test.z, z, "\(ref.name) z")
                expectClose(test.pValue, p, "\(ref.name) p")
            } else {
                // statsmodels: 0/0 = NaN when the pooled rate is 0 or 1; equal rates, no evidence of a change.
                #expect(test.z == 0 && test.pValue == 1, "\(ref.name)")
                #expect(test.baselineRate == test.currentRate, "\(ref.name)")
            }
            #expect(test.difference == test.currentRate - test.baselineRate)
        }
    }

    @Test("Newcombe hybrid score interval as confint_proportions_2indep(method='newcomb', compare='diff')")
    func newcombeInterval() throws {
        for ref in reference.denialRate {
            let test = try #require(
                TwoProportionZTest(
                    baseline: DenialCounts(denied: ref.baselineDenied, decided: ref.baselineDecided),
                    current: DenialCounts(denied: ref.currentDenied, decided: ref.currentDecided)
                )
            )
            expectClose(test.interval.lowerBound, ref.differenceLower, "\(ref.name) lower")
            expectClose(test.interval.upperBound, ref.differenceUpper, "\(ref.name) upper")
        }
    }

    @Test("Wilson score intervals as proportion_confint(method='wilson')")
    func wilsonIntervals() throws {
        for ref in reference.denialRate {
            let baseline = try #require(
                ProportionInterval.wilson(successes: ref.baselineDenied, trials: ref.baselineDecided)
            )
            let current = try #require(
                ProportionInterval.wilson(successes: ref.currentDenied, trials: ref.currentDecided)
            )
            expectClose(baseline.lowerBound, ref.baselineWilson[0], "\(ref.name) baseline lower")
            expectClose(baseline.upperBound, ref.baselineWilson[1], "\(ref.name) baseline upper")
            expectClose(current.lowerBound, ref.currentWilson[0], "\(ref.name) current lower")
            expectClose(current.upperBound, ref.currentWilson[1], "\(ref.name) current upper")
        }
    }

    @Test("Mann–Whitney U from histograms as mannwhitneyu(asymptotic, continuity, two-sided)")
    func mannWhitneyU() throws {
        for ref in reference.decisionTime {
            let test = try #require(
                MannWhitneyUTest(baseline: Self.histogram(ref.baseline), current: Self.histogram(ref.current)),
                "\(ref.name)"
            )
            expectClose(test.u, ref.uCurrent, "\(ref.name) U")
            expectClose(test.pValue, ref.pValue, "\(ref.name) p")
        }
    }

    @Test("medians from histograms as numpy.median of the expanded samples")
    func medians() throws {
        for ref in reference.decisionTime {
            let test = try #require(
                MannWhitneyUTest(baseline: Self.histogram(ref.baseline), current: Self.histogram(ref.current))
            )
            #expect(test.baselineMedian == ref.baselineMedian, "\(ref.name)")
            #expect(test.currentMedian == ref.currentMedian, "\(ref.name)")
            #expect(Self.histogram(ref.baseline).median == ref.baselineMedian, "\(ref.name)")
        }
    }

    @Test("Benjamini–Hochberg q-values as multipletests(method='fdr_bh')")
    func benjaminiHochberg() {
        for ref in reference.benjaminiHochberg {
            let q = BenjaminiHochberg.adjust(ref.pValues)
            #expect(q.count == ref.qValues.count)
            for (index, (actual, expected)) in zip(q, ref.qValues).enumerated() {
                expectClose(actual, expected, "\(ref.name)[\(index)]")
            }
        }
    }

    @Test("a whole run: the volume guard picks the tests, BH runs across all of them")
    func wholeRun() throws {
        let run = reference.run
        let aggregates = run.triples.map { triple in
            DriftAggregate(
                triple: DriftTriple(customerID: triple.customer, payer: triple.payer, cptGroup: triple.cptGroup),
                baseline: DriftWindowAggregate(
                    denials: DenialCounts(denied: triple.baselineDenied, decided: triple.baselineDecided),
                    decisionDays: Self.histogram(triple.baselineDays)
                ),
                current: DriftWindowAggregate(
                    denials: DenialCounts(denied: triple.currentDenied, decided: triple.currentDecided),
                    decisionDays: Self.histogram(triple.currentDays)
                )
            )
        }
        // Every test that runs becomes an event (no effect guard, q ≤ 1), so each q-value can be compared.
        let settings = DriftSettings(
            minimumDecidedPerWindow: run.minDecided,
            falseDiscoveryRate: 1,
            denialRateMinimumChange: 0,
            denialRateMinimumRelativeChange: 0,
            decisionTimeMinimumDays: 0,
            decisionTimeMinimumRelativeChange: 0
        )
        let windows = settings.windows(asOf: 20_000)
        let detection = DriftDetector(settings: settings).detect(aggregates, windows: windows)
        #expect(detection.testsRun == run.tests.count)
        #expect(detection.belowVolume == 2 * run.triples.count - run.tests.count)
        #expect(detection.events.count == run.tests.count)
        for (event, ref) in zip(detection.events, run.tests) {
            #expect(event.triple.customerID == ref.customer && event.triple.payer == ref.payer)
            #expect(event.triple.cptGroup == ref.cptGroup && event.type.rawValue == ref.driftType)
            expectClose(event.pValue, ref.pValue, "\(ref.customer)/\(ref.payer) \(ref.driftType) p")
            expectClose(event.qValue, ref.qValue, "\(ref.customer)/\(ref.payer) \(ref.driftType) q")
            #expect(event.windows == windows)
        }
    }

    // MARK: - The script still reproduces the fixture

    /// `python3` with statsmodels and scipy importable.
    static let referenceToolsAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import statsmodels, scipy"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }()

    @Test(
        "scripts/drift_reference.py reproduces drift_reference.json",
        .enabled(if: referenceToolsAvailable, "needs python3 with statsmodels and scipy"),
        .timeLimit(.minutes(1))
    )
    func scriptReproducesFixture() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", DriftReference.repositoryRoot.appendingPathComponent("scripts/drift_reference.py").path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)

        let produced = try JSONSerialization.jsonObject(with: data)
        let committed = try JSONSerialization.jsonObject(with: try Data(contentsOf: DriftReference.fixtureURL))
        var differences: [String] = []
        Self.compare(produced, committed, path: "$", into: &differences)
        #expect(differences.isEmpty, "\(differences.prefix(10).joined(separator: "\n"))")
    }

    /// Collects the paths where two JSON trees differ: numbers beyond 1e-12 relative (another library version
    /// may round a last digit differently), any other value. The library versions themselves may differ.
    private static func compare(_ a: Any, _ b: Any, path: String, into differences: inout [String]) {
        switch (a, b) {
        case (let a as [String: Any], let b as [String: Any]):
            guard Set(a.keys) == Set(b.keys) else {
                differences.append("\(path): keys \(a.keys.sorted()) vs \(b.keys.sorted())")
                return
            }
            for key in a.keys.sorted() where !(path == "$" && key == "versions") {
                compare(a[key]!, b[key]!, path: "\(path).\(key)", into: &differences)
            }
        case (let a as [Any], let b as [Any]):
            guard a.count == b.count else {
                differences.append("\(path): \(a.count) vs \(b.count) items")
                return
            }
            for (index, (x, y)) in zip(a, b).enumerated() {
                compare(x, y, path: "\(path)[\(index)]", into: &differences)
            }
        case (let a as String, let b as String):
            if a != b { differences.append("\(path): \(a) vs \(b)") }
        case (let a as NSNumber, let b as NSNumber):
            if !isClose(a.doubleValue, b.doubleValue, relative: 1e-12, absolute: 0) {
                differences.append("\(path): \(a) vs \(b)")
            }
        case (is NSNull, is NSNull):
            break
        default:
            differences.append("\(path): \(a) vs \(b)")
        }
    }
}
