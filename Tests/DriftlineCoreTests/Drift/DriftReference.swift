import Foundation
import Testing

/// `Tests/Fixtures/drift_reference.json`: the values statsmodels, scipy and numpy compute for the drift
/// statistics, written by `scripts/drift_reference.py`.
struct DriftReference: Decodable {
    struct Denial: Decodable {
        var name: String
        var baselineDenied: Int
        var baselineDecided: Int
        var currentDenied: Int
        var currentDecided: Int
        /// `nil` where statsmodels leaves it undefined (both rates 0% or both 100%).
        var z: Double?
        var pValue: Double?
        var differenceLower: Double
        var differenceUpper: Double
        var baselineWilson: [Double]
        var currentWilson: [Double]
    }

    struct Decision: Decodable {
        var name: String
        /// `[days, count]` pairs.
        var baseline: [[Int]]
        var current: [[Int]]
        var uCurrent: Double
        var pValue: Double
        var baselineMedian: Double
        var currentMedian: Double
    }

    struct Adjustment: Decodable {
        var name: String
        var pValues: [Double]
        var qValues: [Double]
    }

    struct Run: Decodable {
        struct Triple: Decodable {
            var customer: String
            var payer: String
            var cptGroup: String
            var baselineDenied: Int
            var baselineDecided: Int
            var currentDenied: Int
            var currentDecided: Int
            var baselineDays: [[Int]]
            var currentDays: [[Int]]
        }

        struct Test: Decodable {
            var customer: String
            var payer: String
            var cptGroup: String
            var driftType: String
            var pValue: Double
            var qValue: Double
        }

        var minDecided: Int
        var triples: [Triple]
        var tests: [Test]
    }

    var denialRate: [Denial]
    var decisionTime: [Decision]
    var benjaminiHochberg: [Adjustment]
    var run: Run

    /// The repository's root, from this file's path (`Tests/DriftlineCoreTests/Drift/`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `Tests/Fixtures/drift_reference.json`: outside the test target's folder, so SwiftPM does not see an
    /// undeclared resource (and warn about it); the test reads it by path.
    static let fixtureURL = repositoryRoot.appendingPathComponent("Tests/Fixtures/drift_reference.json")

    static func decode(_ data: Data) throws -> DriftReference {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(DriftReference.self, from: data)
    }

    static func load() throws -> DriftReference {
        try decode(try Data(contentsOf: fixtureURL))
    }
}

/// Whether `actual` is within `relative` of `expected` (relative error), or within `absolute` when `expected`
/// is 0 (where a relative error means nothing).
func isClose(_ actual: Double, _ expected: Double, relative: Double = 1e-9, absolute: Double = 1e-15) -> Bool {
    if expected == 0 { return abs(actual) <= absolute }
    return abs(actual - expected) <= relative * abs(expected)
}

/// Records an issue naming `what` unless `actual` is close to `expected`.
func expectClose(
    _ actual: Double?,
    _ expected: Double?,
    _ what: String,
    relative: Double = 1e-9,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let actual, let expected else {
        Issue.record(
            "\(what): \(String(describing: actual)) vs reference \(String(describing: expected))",
            sourceLocation: sourceLocation
        )
        return
    }
    #expect(
        isClose(actual, expected, relative: relative),
        "\(what): \(actual) vs reference \(expected) (relative error \(abs(actual - expected) / abs(expected)))",
        sourceLocation: sourceLocation
    )
}
