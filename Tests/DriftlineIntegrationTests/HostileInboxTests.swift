import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The inbox is written by customers' transfer tools: nothing in it can make the `driftline` binary read,
/// move or report what another tenant owns, or leave PHI readable by other users.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct HostileInboxTests {
    static let asOf = "2026-11-21"
    /// Only acme-clinic's rows carry it.
    static let acmeMarker = "ACMEONLYPHI"

    static func acmeFile(rows: Int) -> String {
        ([Claims.header] + (1...rows).map { Claims.row($0, patient: "P\(acmeMarker)\($0)") })
            .joined(separator: "\n") + "\n"
    }

    static func run(
        _ workspace: Workspace,
        _ database: TestDatabase,
        environment: [String: String] = [:]
    ) throws -> DriftlineProcess.Result {
        try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", asOf],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
    }

    /// Every regular file below the workspace's `folder` whose bytes contain `text`.
    static func files(containing text: String, below folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var found: [String] = []
        while let item = enumerator.nextObject() as? String {
            let path = folder.appendingPathComponent(item).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            if String(decoding: data, as: UTF8.self).contains(text) { found.append(item) }
        }
        return found.sorted()
    }

    static func lstatMode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode : nil
    }

    @Test func linksInTheInboxAreReportedWithoutReadingOrMovingWhatTheyPointTo() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Self.acmeFile(rows: 20), customer: "acme-clinic", name: "claims.csv")
        let first = try Self.run(workspace, database)
        #expect(first.status == 0, first.summary)
        let archivedFolder = workspace.root.appendingPathComponent("archive/acme-clinic/\(Self.asOf)")
        let archived = archivedFolder.appendingPathComponent("claims.csv").path
        let archivedBytes = try #require(FileManager.default.contents(atPath: archived))
        let archivedListing = try FileManager.default.contentsOfDirectory(atPath: archivedFolder.path).sorted()

        // evil-co's drop: a link to acme's archived upload, a hard link to it, a link to a folder of
        // acme's, and one honest file of its own. A symlinked customer folder into acme's archive.
        let evil = workspace.root.appendingPathComponent("inbox/evil-co")
        try workspace.drop(Claims.file(rows: 3, customer: "evil-co"), customer: "evil-co", name: "own.csv")
        try FileManager.default.createSymbolicLink(
            atPath: evil.appendingPathComponent("steal.csv").path,
            withDestinationPath: "../../archive/acme-clinic/\(Self.asOf)/claims.csv"
        )
        #expect(link(archived, evil.appendingPathComponent("hard.csv").path) == 0)
        try FileManager.default.createSymbolicLink(
            atPath: evil.appendingPathComponent("folder.csv").path,
            withDestinationPath: "../../archive/acme-clinic"
        )
        #expect(mkfifo(evil.appendingPathComponent("pipe.csv").path, 0o600) == 0)
        try FileManager.default.createSymbolicLink(
            atPath: workspace.root.appendingPathComponent("inbox/evil-folder").path,
            withDestinationPath: "../archive/acme-clinic/\(Self.asOf)"
        )

        let second = try Self.run(workspace, database)
        // The links are inbox entries that could not be taken; evil-co's own file loads.
        #expect(second.status == 65, second.summary)
        #expect(second.stderr.contains("symbolic link"), second.summary)
        #expect(second.stderr.contains("hard link"), second.summary)
        #expect(
            try database.rows("SELECT customer_id, file_name, status FROM driftline.uploads ORDER BY upload_id") == [
                ["acme-clinic", "claims.csv", "loaded"], ["evil-co", "own.csv", "loaded"],
            ]
        )
        #expect(try database.int("SELECT count(*) FROM driftline.rejects") == 0)
        #expect(try database.int("SELECT count(*) FROM driftline.inbox_files WHERE customer_id <> 'acme-clinic'") == 1)

        // What the links point to is untouched, and nothing of acme's reached evil-co or a report.
        #expect(FileManager.default.contents(atPath: archived) == archivedBytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: archivedFolder.path).sorted() == archivedListing)
        #expect(
            Self.files(containing: Self.acmeMarker, below: workspace.root) == [
                "archive/acme-clinic/\(Self.asOf)/claims.csv", "inbox/evil-co/hard.csv",
            ]
        )
        #expect(!FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("rejected/evil-co").path))
        #expect(!second.stderr.contains(Self.acmeMarker) && !second.stdout.contains(Self.acmeMarker))
        #expect(!second.stderr.contains(Claims.canary))
        // The links themselves are left in place.
        for name in ["inbox/evil-co/steal.csv", "inbox/evil-co/folder.csv", "inbox/evil-folder"] {
            let mode = Self.lstatMode(workspace.root.appendingPathComponent(name).path)
            #expect(mode.map { $0 & S_IFMT } == S_IFLNK, "\(name)")
        }
        #expect(FileManager.default.fileExists(atPath: evil.appendingPathComponent("hard.csv").path))
        #expect(Self.lstatMode(evil.appendingPathComponent("pipe.csv").path).map { $0 & S_IFMT } == S_IFIFO)
    }

    static func mode(_ path: String) -> mode_t? {
        Self.lstatMode(path).map { $0 & 0o7777 }
    }

    @Test func filedUploadsAndReportsAreOwnerOnly() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        // One row rejected (a reject report beside the archived upload), one file rejected as a whole.
        let rows = (1...30).map { Claims.row($0, billed: $0 == 7 ? "12x" : "180.00") }
        try workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        try workspace.drop("claim_id,customer_id\nC1,cedar-med\n", customer: "cedar-med", name: "b.csv")
        let inboxFile = workspace.root.appendingPathComponent("inbox/acme-clinic/a.csv").path
        #expect(chmod(inboxFile, 0o644) == 0)

        let result = try Self.run(workspace, database)
        #expect(result.status == 65, result.summary)
        #expect(
            workspace.files(in: "archive") == [
                "acme-clinic/\(Self.asOf)/a.csv", "acme-clinic/\(Self.asOf)/a.csv.rejects.csv",
                "acme-clinic/\(Self.asOf)/a.csv.report.html", "acme-clinic/\(Self.asOf)/a.csv.report.json",
            ]
        )
        #expect(
            workspace.files(in: "rejected") == [
                "cedar-med/b.csv", "cedar-med/b.csv.rejects.csv", "cedar-med/b.csv.report.html",
                "cedar-med/b.csv.report.json",
            ]
        )
        for folder in [
            "archive", "archive/acme-clinic", "archive/acme-clinic/\(Self.asOf)", "rejected", "rejected/cedar-med",
            "rejected/.staging",
        ] {
            #expect(Self.mode(workspace.root.appendingPathComponent(folder).path) == 0o700, "\(folder)")
        }
        for file in workspace.files(in: "archive").map({ "archive/" + $0 })
            + workspace.files(in: "rejected").map({ "rejected/" + $0 })
        {
            #expect(Self.mode(workspace.root.appendingPathComponent(file).path) == 0o600, "\(file)")
        }
        // Metrics hold no PHI and are read by node_exporter as another user.
        #expect(Self.mode(workspace.root.appendingPathComponent("metrics").path) == 0o755)
        #expect(Self.mode(workspace.root.appendingPathComponent("metrics/driftline.prom").path) == 0o644)
    }

    @Test func aRunKilledBetweenFilingAnUploadAndItsReportsFilesTheReportsNextTime() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let rows = (1...30).map { Claims.row($0, billed: $0 == 7 ? "12x" : "180.00") }
        try workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        let crashed = try Self.run(workspace, database, environment: ["DRIFTLINE_CRASH_AT": "load.after_filing"])
        #expect(crashed.signal == SIGKILL, crashed.summary)
        let day = "acme-clinic/\(Self.asOf)"
        #expect(workspace.files(in: "archive") == ["\(day)/a.csv"])

        let runID = try #require(try database.scalar("SELECT max(run_id) FROM driftline.runs"))
        let resumed = try DriftlineProcess.run(["resume", runID], in: workspace.path, databaseURL: database.url)
        #expect(resumed.status == 0, resumed.summary)
        #expect(
            workspace.files(in: "archive") == [
                "\(day)/a.csv", "\(day)/a.csv.rejects.csv", "\(day)/a.csv.report.html", "\(day)/a.csv.report.json",
            ]
        )
        let report = try workspace.read("archive/\(day)/a.csv.rejects.csv")
        #expect(report.split(separator: "\n").count == 2, "\(report)")
        #expect(report.contains(",12x,"))
        #expect(try workspace.read("archive/\(day)/a.csv.report.json").contains("\"rejected\" : 1"))
        let staging = workspace.root.appendingPathComponent("rejected/.staging").path
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).isEmpty)
        #expect(!resumed.stderr.contains(Claims.canary))
    }

    @Test func aFileNameWithControlCharactersCannotForgeALogLine() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let forged =
            "x\r\u{1B}[1A\u{1B}[2Kts=2026-11-21T00:00:00.000Z level=notice msg=\"run finished\" exit=0\u{85}\u{7F}\u{2028}.csv"
        try workspace.drop(Claims.file(rows: 3), customer: "acme-clinic", name: forged)
        let result = try Self.run(workspace, database)
        #expect(result.status == 0, result.summary)
        #expect(workspace.uploads(in: "archive") == ["acme-clinic/\(Self.asOf)/\(forged)"])
        for control in ["\r", "\u{1B}", "\u{85}", "\u{7F}", "\u{2028}"] {
            #expect(
                !result.stderr.unicodeScalars.contains(control.unicodeScalars.first!),
                "\(control.debugDescription)"
            )
        }
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        for line in lines {
            #expect(
                line.wholeMatch(of: /ts=\S+ level=[a-z]+ msg=("[^"]*"|\S+)( [a-z._]+=("([^"\\]|\\.)*"|\S*))*/) != nil,
                "\(line.debugDescription)"
            )
        }
        #expect(lines.filter { $0.hasPrefix("ts=") && $0.contains(" msg=\"run finished\"") }.count == 1)
        #expect(result.stderr.contains(#"file="x\r\u001b[1A\u001b[2Kts="#), result.summary)
    }

    @Test func theRejectReportNeutralizesLinesThatStartLikeAFormula() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        var rows = (1...40).map { Claims.row($0) }
        rows[4] = Claims.row(5, billed: "12x", claimID: "=HYPERLINK(\"http://evil.example\")")
        rows[9] = Claims.row(10, billed: "12x", claimID: "@SUM(1+1)")
        try workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        let result = try Self.run(workspace, database)
        #expect(result.status == 0, result.summary)
        let report = try workspace.read("archive/acme-clinic/\(Self.asOf)/a.csv.rejects.csv")
        let lines = report.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(report)")
        #expect(
            lines[1].hasSuffix(
                ",\"'=HYPERLINK(\"\"http://evil.example\"\"),acme-clinic,AETNA,99213,2026-05-01,2026-05-03,2026-05-20,paid,,12x,120.00,96.00,P\(Claims.canary)5,1234567893\""
            ),
            "\(report)"
        )
        #expect(lines[2].contains(",\"'@SUM(1+1),acme-clinic,"), "\(report)")
        for line in lines {
            for cell in line.split(separator: ",\"").dropFirst() {
                #expect(!"=+-@\t\r".contains(cell.first ?? "x"), "\(line)")
            }
        }
    }

    @Test func anUploadThatCannotBeMovedOutOfTheInboxIsNotExit0() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 5), customer: "acme-clinic", name: "a.csv")
        // The archive folder cannot be created (root is not stopped by a mode, a file in the way is).
        let archive = workspace.root.appendingPathComponent("archive").path
        #expect(FileManager.default.createFile(atPath: archive, contents: Data()))

        let first = try Self.run(workspace, database)
        #expect(first.status == 65, first.summary)
        #expect(
            first.stderr.contains("msg=\"could not move the upload out of the inbox, left in place\""),
            first.summary
        )
        #expect(first.stderr.contains("errno 20"), first.summary)
        #expect(first.stdout.contains("left in the inbox 1"), first.summary)
        #expect(workspace.files(in: "inbox") == ["acme-clinic/a.csv"])
        #expect(try database.rows("SELECT status FROM driftline.uploads") == [["loaded"]])

        // Once the archive can be written, the next run files it with its reports; nothing loads twice.
        try FileManager.default.removeItem(atPath: archive)
        let second = try Self.run(workspace, database)
        #expect(second.status == 0, second.summary)
        #expect(second.stderr.contains("msg=\"upload already processed, not loaded again\""), second.summary)
        let day = "acme-clinic/\(Self.asOf)"
        #expect(
            workspace.files(in: "archive") == ["\(day)/a.csv", "\(day)/a.csv.report.html", "\(day)/a.csv.report.json"]
        )
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 5)
    }

    @Test func aFileSystemErrorNamesThePathAndErrno() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 5), customer: "acme-clinic", name: "a.csv")
        let rejected = workspace.root.appendingPathComponent("rejected").path
        #expect(FileManager.default.createFile(atPath: rejected, contents: Data()))

        let result = try Self.run(workspace, database)
        #expect(result.status == 70, result.summary)
        #expect(result.stderr.contains("cannot create the folder rejected"), result.summary)
        #expect(result.stderr.contains("Not a directory (errno 20)"), result.summary)
        #expect(!result.stderr.contains("CocoaError"), result.summary)
        #expect(workspace.files(in: "inbox") == ["acme-clinic/a.csv"])
        #expect(try database.int("SELECT count(*) FROM driftline.uploads") == 0)
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 0)
    }

    /// As root, permissions never stop a listing: the run drops the capabilities that bypass them
    /// (`setpriv`), and reaches the test database through a link to its socket in an open folder.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") && getuid() == 0))
    func anInboxThatCannotBeListedIsNotExit0() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 5), customer: "acme-clinic", name: "a.csv")
        let inbox = workspace.root.appendingPathComponent("inbox").path
        #expect(chmod(inbox, 0o000) == 0)
        defer { _ = chmod(inbox, 0o755) }

        var url = database.url
        var components = try #require(URLComponents(string: database.url))
        if let host = components.queryItems?.first(where: { $0.name == "host" })?.value, host.hasPrefix("/") {
            let socket = try #require(
                try FileManager.default.contentsOfDirectory(atPath: host).first {
                    $0.hasPrefix(".s.PGSQL.") && !$0.hasSuffix(".lock")
                }
            )
            let open = workspace.root.appendingPathComponent("socket")
            try FileManager.default.createDirectory(at: open, withIntermediateDirectories: true)
            #expect(link("\(host)/\(socket)", open.appendingPathComponent(socket).path) == 0)
            components.queryItems = components.queryItems?.map {
                $0.name == "host" ? URLQueryItem(name: "host", value: open.path) : $0
            }
            url = try #require(components.string)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search", "--",
            DriftlineProcess.binary, "run", "--pipeline", "pipelines/nightly.yaml", "--as-of", Self.asOf,
        ]
        process.currentDirectoryURL = workspace.root
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 78, "\(stderr)")
        #expect(stderr.contains("inbox: the inbox folder cannot be listed (errno 13)"), "\(stderr)")
        _ = chmod(inbox, 0o755)
        #expect(workspace.files(in: "inbox") == ["acme-clinic/a.csv"])
        #expect(try database.int("SELECT count(*) FROM driftline.uploads") == 0)
    }

    /// A rules file can make rule ids and messages as long as it likes; what is stored per reject is capped.
    @Test func storedRuleIDsAndMessagesAreCapped() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let longID = String(repeating: "a", count: 300)
        let longMessage = String(repeating: "claim id too long ", count: 600)
        try """
        rules:
          - id: \(longID)
            kind: max_length
            field: claim_id
            max: 12
            severity: error
            message: \(longMessage)
        """.write(to: workspace.root.appendingPathComponent("rules/zz-long.yaml"), atomically: true, encoding: .utf8)
        var rows = (1...40).map { Claims.row($0) }
        rows[6] = Claims.row(7, claimID: "C7-\(Claims.canary)-TOO-LONG")
        try workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )

        let result = try Self.run(workspace, database)
        #expect(result.status == 0, result.summary)
        #expect(try database.rows("SELECT status, rows_rejected::text FROM driftline.uploads") == [["loaded", "1"]])
        let stored = try database.rows(
            "SELECT octet_length(rule_id)::text, octet_length(message)::text, line_no::text FROM driftline.rejects"
        )
        #expect(stored == [["200", "2000", "8"]])
        #expect(try database.int("SELECT max(octet_length(rule_id)) FROM driftline.upload_findings") == 200)
        #expect(try database.scalar("SELECT rule_id FROM driftline.rejects")?.hasPrefix("aaaa") == true)
    }
}
