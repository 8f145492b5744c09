import ArgumentParser
import DriftlineCore
import DriftlinePostgres
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A run's report: one self-contained HTML page (stages, uploads, drift charts, alerts).",
        discussion: """
            The page holds aggregates only (counts, rates, medians, ids, rule codes), inline CSS and SVG, no \
            script and no external URL. With --customer it holds that customer's data and nothing of any \
            other. Links to each upload's own report are relative to the page (--output), or to the \
            working directory when the page goes to stdout. Exit 78 for an unknown run or customer.
            """
    )

    @Argument(help: "The run id.") var runID: Int64
    @Option(help: "Only this customer's data.") var customer: String?
    @Option(help: "Write the page to this file (default: stdout).") var output: String?

    func run() throws {
        let output = output.map { path in
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
        let directory =
            output.map { ($0 as NSString).deletingLastPathComponent } ?? FileManager.default.currentDirectoryPath
        let report: RunReport?
        do {
            let connection = try PGConnection(url: try Database.url())
            if let customer, try !UploadTotals.customers(on: connection).contains(customer) {
                FileHandle.standardError.write(Data("driftline: no customer \(customer)\n".utf8))
                throw ExitCode(ExitStatus.configuration.rawValue)
            }
            report = try RunReportStore.gather(
                runID: runID,
                customer: customer,
                links: RunReportStore.Links(pageDirectory: directory),
                on: connection
            )
        } catch let error as PostgresError {
            let unavailable = error.kind == .connectionFailed || error.kind == .connectionLost || error.isTransient
            FileHandle.standardError.write(Data("driftline: \(error)\n".utf8))
            throw ExitCode((unavailable ? ExitStatus.databaseUnavailable : .software).rawValue)
        }
        guard let report else {
            FileHandle.standardError.write(Data("driftline: no run with id \(runID)\n".utf8))
            throw ExitCode(ExitStatus.configuration.rawValue)
        }
        let html = RunReportRenderer.html(report)
        guard let output else {
            print(html, terminator: "")
            return
        }
        do {
            try FileMover.writeAtomically(Data(html.utf8), to: output, mode: 0o644)
        } catch {
            FileHandle.standardError.write(Data("driftline: \(error)\n".utf8))
            throw ExitCode(ExitStatus.software.rawValue)
        }
        print(output)
    }
}
