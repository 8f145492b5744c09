import DriftlineCore

/// The `deliver` stage's section of the pipeline file: ``DeliverySettings``' keys plus `secrets_file`.
///
/// The stage itself runs in a process of its own (`driftline-deliver`, the only executable that links the HTTP
/// client), so what the runner needs to know about it lives here: its settings, read strictly before the run
/// starts, and how its counters make an outcome.
package struct DeliverStageSettings: StageSettings {
    /// The stage's name in `stages:`, in the process that runs it and in the one that starts it.
    package static let stageName = "deliver"
    package static let keys = DeliverySettings.keys + ["secrets_file"]
    package var delivery: DeliverySettings
    /// A `KEY=VALUE` secrets file (mode 0600); else `$DRIFTLINE_WEBHOOK_SECRETS_FILE`.
    package var secretsFile: String?

    package init(delivery: DeliverySettings = DeliverySettings(), secretsFile: String? = nil) {
        self.delivery = delivery
        self.secretsFile = secretsFile
    }

    package init(section: StageSection) throws(ConfigError) {
        secretsFile = try section.value("secrets_file").map { node throws(ConfigError) in
            try node.configString("secrets_file", file: section.file)
        }
        var node = section.node
        if case .mapping(var mapping) = node {
            mapping.pairs.removeAll { $0.key.string == "secrets_file" }
            node = .mapping(mapping)
        }
        delivery = try DeliverySettings.parse(node, file: section.file)
    }
}

extension StageOutcome {
    /// The deliver stage's outcome from its checkpoint counters (`deliver_delivered`, `deliver_filed`,
    /// `deliver_dead_lettered`, `deliver_pending`, …): a dead-lettered notification makes the verdict
    /// ``StageVerdict/undelivered`` (exit 76). `headline`: the summary line's words, for a pass run now (a
    /// recorded pass has none).
    package static func delivery(counts: [String: Int64], headline: Bool) -> StageOutcome {
        let dead = counts["deliver_dead_lettered"] ?? 0
        let delivered = (counts["deliver_delivered"] ?? 0) + (counts["deliver_filed"] ?? 0)
        return StageOutcome(
            verdict: dead > 0 ? .undelivered : .ok,
            summary: ["notifications_undelivered": dead],
            headline: headline
                ? "notifications delivered \(delivered), dead-lettered \(dead), pending \(counts["deliver_pending"] ?? 0)"
                : nil,
            checkpoint: headline ? counts : nil
        )
    }
}
