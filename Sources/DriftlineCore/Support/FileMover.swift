import Foundation

/// Moves files into archive/rejected folders without overwriting anything.
package enum FileMover {
    /// Moves `path` into `directory` (created if needed), adding `-1`, `-2`… before the extension when
    /// the name is taken. Returns the final path.
    @discardableResult
    package static func move(_ path: String, into directory: String, name: String? = nil) throws -> String {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let target = uniquePath(in: directory, name: name ?? (path as NSString).lastPathComponent)
        if rename(path, target) != 0 {
            guard errno == EXDEV else { throw CocoaError(.fileWriteUnknown) }
            try manager.copyItem(atPath: path, toPath: target)
            try manager.removeItem(atPath: path)
        }
        return target
    }

    package static func uniquePath(in directory: String, name: String) -> String {
        let manager = FileManager.default
        var candidate = (directory as NSString).appendingPathComponent(name)
        var counter = 1
        let (stem, suffix) = split(name)
        while manager.fileExists(atPath: candidate) {
            candidate = (directory as NSString).appendingPathComponent("\(stem)-\(counter)\(suffix)")
            counter += 1
        }
        return candidate
    }

    /// `claims.csv.zst` → (`claims`, `.csv.zst`).
    static func split(_ name: String) -> (String, String) {
        for suffix in [".csv.zst", ".psv.zst", ".tsv.zst", ".txt.zst", ".csv", ".psv", ".tsv", ".txt", ".zst"]
        where name.lowercased().hasSuffix(suffix) && name.count > suffix.count {
            return (String(name.dropLast(suffix.count)), String(name.suffix(suffix.count)))
        }
        return (name, "")
    }

    /// Writes `data` to `path` atomically (temporary file in the same folder, then rename).
    package static func writeAtomically(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = (directory as NSString).appendingPathComponent(
            ".\((path as NSString).lastPathComponent).\(getpid()).tmp"
        )
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown)
        }
    }
}
