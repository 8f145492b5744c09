import ArgumentParser
import DriftlineCore
import Foundation

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check upload files against the rules, without a database.",
        discussion: "Exit 0 when no file has an error-severity finding, 65 otherwise, 78 for a bad rules folder."
    )

    @Argument(help: "Upload files (.csv or .csv.zst).") var files: [String]
    @Option(help: "Rules folder.") var rules = "rules"
    @Option(help: "text, json or html.") var format: ReportFormat = .text
    @Option(help: "Write the report here instead of stdout.") var output: String?
    @Option(help: "Check every row's customer_id against this customer (the tenant guard).") var customer: String?
    @Option(name: .customLong("as-of"), help: "Date that relative rule bounds count from (default: today, UTC).")
    var asOf: String?
    @Option(help: "A customer profile (pipelines/profiles/<customer>.yaml): encoding, delimiter, formats, headers.")
    var profile: String?

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    func run() throws {
        let day = try parseDate(asOf)
        let groups: CPTGroups
        let book: RuleBook
        var customerProfile = CustomerProfile.standard
        do {
            if let profile {
                let text = try String(contentsOfFile: profile, encoding: .utf8)
                customerProfile = try CustomerProfile.parse(text, file: profile)
            }
            groups = try CPTGroups.load(from: URL(fileURLWithPath: rules).appendingPathComponent("cpt_groups.yaml"))
            book = try RuleBook.load(directory: URL(fileURLWithPath: rules), groups: groups, asOf: day)
        } catch {
            FileHandle.standardError.write(Data("driftline: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let validator = OfflineValidator(rules: book, groups: groups)
        var reports = ValidationReportSet()
        for file in files {
            reports.append(validator.validate(path: file, customer: customer, profile: customerProfile))
        }
        let text =
            switch format {
            case .text: reports.renderText()
            case .json: reports.renderJSON()
            case .html: reports.renderHTML()
            }
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
        } else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
        if reports.findingCount(.error) > 0 { throw ExitCode(65) }
    }
}
