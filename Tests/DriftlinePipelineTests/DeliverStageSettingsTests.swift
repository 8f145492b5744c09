import DriftlineCore
import DriftlinePipeline
import Foundation
import Testing

/// What the runner knows of the `deliver` stage, which runs in `driftline-deliver`: its settings (recorded as JSON
/// and passed to that process as they are) and the outcome its counters make.
@Suite struct DeliverStageSettingsTests {
    @Test func theOutcomeOfAPassRunNowCarriesItsCountersAndWords() {
        let outcome = StageOutcome.delivery(
            counts: ["deliver_delivered": 3, "deliver_filed": 1, "deliver_dead_lettered": 0, "deliver_pending": 2],
            headline: true
        )
        #expect(outcome.verdict == .ok)
        #expect(outcome.summary == ["notifications_undelivered": 0])
        #expect(outcome.headline?.description == "notifications delivered 4, dead-lettered 0, pending 2")
        #expect(outcome.checkpoint?["deliver_filed"] == 1)
    }

    @Test func aDeadLetterMakesTheVerdictUndeliveredAlsoFromARecordedPass() {
        let recorded = StageOutcome.delivery(counts: ["deliver_dead_lettered": 2], headline: false)
        #expect(recorded.verdict == .undelivered)
        #expect(recorded.summary == ["notifications_undelivered": 2])
        // A recorded pass keeps the checkpoint it wrote and says nothing in the summary line.
        #expect(recorded.headline == nil && recorded.checkpoint == nil)
    }

    @Test func settingsSurviveTheJSONTheyTravelAs() throws {
        var delivery = DeliverySettings()
        delivery.timeoutSeconds = 2.5
        delivery.retrySchedule = [1, 60]
        let settings = DeliverStageSettings(delivery: delivery, secretsFile: "/etc/driftline/webhooks.env")
        let decoded = try JSONDecoder().decode(DeliverStageSettings.self, from: JSONEncoder().encode(settings))
        #expect(decoded == settings)
    }
}
