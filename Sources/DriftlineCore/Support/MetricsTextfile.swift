import Foundation

/// A Prometheus textfile for node_exporter's textfile collector, written atomically.
package struct MetricsTextfile: Sendable {
    package struct Sample: Sendable {
        package var name: String
        package var help: String
        package var type: String
        package var labels: [(String, String)]
        package var value: Double
    }

    private var samples: [Sample] = []

    package init() {}

    package mutating func add(
        _ name: String,
        _ value: Double,
        help: String,
        type: String = "gauge",
        labels: [(String, String)] = []
    ) {
        samples.append(Sample(name: name, help: help, type: type, labels: labels, value: value))
    }

    package func render() -> String {
        var text = ""
        var described = Set<String>()
        for sample in samples {
            if described.insert(sample.name).inserted {
                text += "# HELP \(sample.name) \(sample.help)\n# TYPE \(sample.name) \(sample.type)\n"
            }
            let labels =
                sample.labels.isEmpty
                ? "" : "{" + sample.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
            let value =
                sample.value == sample.value.rounded() && abs(sample.value) < 1e15
                ? String(Int64(sample.value)) : String(sample.value)
            text += "\(sample.name)\(labels) \(value)\n"
        }
        return text
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Writes `driftline.prom` in `directory` via a temporary file and rename. Metrics hold no PHI and
    /// are read by node_exporter as another user: the file is 0644, a folder created for it 0755.
    package func write(toDirectory directory: String) throws {
        try FileMover.makeDirectory(directory, mode: 0o755)
        try FileMover.writeAtomically(
            Data(render().utf8),
            to: (directory as NSString).appendingPathComponent("driftline.prom"),
            mode: 0o644
        )
    }
}
