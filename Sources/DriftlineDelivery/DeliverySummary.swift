/// What one delivery pass did: counts only.
package struct DeliverySummary: Sendable, Hashable {
    package var delivered = 0
    /// Written to the file channel (endpoints without a URL).
    package var filed = 0
    /// Attempts that failed and were scheduled again.
    package var retried = 0
    /// Messages dead-lettered in this pass (last attempt failed, a 4xx, 410, a disabled endpoint, a tenant
    /// mismatch): `driftline alerts redeliver ID` replays them.
    package var deadLettered = 0
    /// Messages still waiting for a retry when the pass ended.
    package var pending = 0

    package init() {}

    /// Flat counts, `deliver.*` keys.
    package var counts: [String: Int64] {
        [
            "deliver.delivered": Int64(delivered), "deliver.filed": Int64(filed), "deliver.retried": Int64(retried),
            "deliver.dead_lettered": Int64(deadLettered), "deliver.pending": Int64(pending),
        ]
    }
}
