import DriftlineCore
import Foundation

/// A temporary working directory laid out like a deployment: inbox/, archive/, rejected/, rules/,
/// pipelines/nightly.yaml; removed when released.
package final class Workspace: @unchecked Sendable {
    package let root: URL

    package init(settleSeconds: Double = 0, maxRejectRate: Double = 0.05, stages: [String] = ["load", "report"]) throws
    {
        root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "driftline-ws-\(UUID().uuidString.prefix(8))"
        )
        let manager = FileManager.default
        try manager.createDirectory(at: root.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        try manager.createDirectory(at: root.appendingPathComponent("pipelines"), withIntermediateDirectories: true)
        try manager.copyItem(
            at: Self.repositoryRoot.appendingPathComponent("rules"),
            to: root.appendingPathComponent("rules")
        )
        let pipeline = """
            name: nightly
            inbox: inbox
            archive: archive
            rejected: rejected
            rules: rules
            settle_seconds: \(settleSeconds)
            max_reject_rate: \(maxRejectRate)
            metrics_dir: metrics
            stages: [\(stages.joined(separator: ", "))]
            """
        try pipeline.write(to: root.appendingPathComponent("pipelines/nightly.yaml"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// The repository (for `rules/` and `samples/`), found from this source file.
    package static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    package var path: String { root.path }

    /// Writes `inbox/<customer>/<name>` with `contents`, dated in the past so it counts as settled.
    @discardableResult
    package func drop(_ contents: String, customer: String, name: String) throws -> String {
        try drop(Data(contents.utf8), customer: customer, name: name)
    }

    @discardableResult
    package func drop(_ data: Data, customer: String, name: String) throws -> String {
        let folder = root.appendingPathComponent("inbox/\(customer)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(name)
        try data.write(to: file)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -3600)],
            ofItemAtPath: file.path
        )
        return file.path
    }

    /// Files below `folder` (relative paths, sorted).
    package func files(in folder: String) -> [String] {
        let base = root.appendingPathComponent(folder)
        guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var found: [String] = []
        while let item = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(
                atPath: base.appendingPathComponent(item).path,
                isDirectory: &isDirectory
            ),
                !isDirectory.boolValue, !item.hasPrefix(".staging")
            {
                found.append(item)
            }
        }
        return found.sorted()
    }

    package func read(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }
}
