import DriftlineCore
import Foundation
import Testing

/// `UTCTimestamp` writes what `ISO8601DateFormatter()` wrote where it replaced it (alert payload timestamps).
@Suite struct UTCTimestampTests {
    @Test(arguments: [
        0.0, 951_782_400, 1_795_240_800, 1_795_240_859.999, 4_102_444_799, 1_709_164_800,
    ])
    func matchesFoundationsFormatter(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(UTCTimestamp.string(from: date) == ISO8601DateFormatter().string(from: date))
    }

    @Test func pinnedText() {
        #expect(UTCTimestamp.string(from: Date(timeIntervalSince1970: 1_795_240_800)) == "2026-11-21T06:00:00Z")
        #expect(UTCTimestamp.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    }
}
