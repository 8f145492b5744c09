import DriftlineCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Temporary files of atomic writes (the metrics textfile, staged reports) in a folder others can write.
@Suite struct FileMoverTests {
    @Test func anAtomicWriteNeverWritesThroughALinkPlantedAtItsTemporaryName() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(chmod(folder.path, 0o777) == 0)
        let victim = folder.appendingPathComponent("victim").path
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        // The names the old code used: `.driftline.prom.<pid>.tmp`.
        let planted = folder.appendingPathComponent(".driftline.prom.\(getpid()).tmp").path
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: victim)

        var metrics = MetricsTextfile()
        metrics.add("driftline_rows_loaded", 3, help: "Rows loaded.")
        try metrics.write(toDirectory: folder.path)
        try metrics.write(toDirectory: folder.path)

        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: planted) == victim)
        let prom = folder.appendingPathComponent("driftline.prom").path
        #expect(try String(contentsOfFile: prom, encoding: .utf8).contains("driftline_rows_loaded 3"))
        var info = stat()
        #expect(lstat(prom, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_mode & 0o777 == 0o644)
        // Nothing else left behind.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == [
                ".driftline.prom.\(getpid()).tmp", "driftline.prom", "victim",
            ]
        )
    }

    @Test func anAtomicWriteIsOwnerOnlyByDefault() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("deep/report.json").path
        try FileMover.writeAtomically(Data("{}".utf8), to: path)
        try FileMover.writeAtomically(Data("{\"a\":1}".utf8), to: path)
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(lstat(folder.appendingPathComponent("deep").path, &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"a\":1}")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("deep").path) == [
                "report.json"
            ]
        )
    }
}
