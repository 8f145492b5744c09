import DriftlineCore
import DriftlineSamples
import Foundation
import Testing

@Suite struct SampleGeneratorTests {
    static let asOf = (year: 2026, month: 11, day: 21)

    // MARK: - Helpers

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("driftline-samples-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func generate(
        rows: Int,
        customers: Int,
        seed: UInt64,
        dirty: Double = 0,
        drift: Bool = false
    ) throws -> (URL, SampleGenerator.Summary) {
        let directory = try temporaryDirectory()
        let configuration = SampleGenerator.Configuration(
            rows: rows,
            customers: customers,
            seed: seed,
            dirtyFraction: dirty,
            drift: drift,
            asOf: Self.asOf
        )
        let summary = try SampleGenerator(configuration: configuration).write(to: directory)
        return (directory, summary)
    }

    private func lines(_ url: URL) throws -> [Substring] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "file must end with a newline")
        lines.removeLast()
        return lines
    }

    /// Every file under `directory`, relative path → bytes, sorted by path.
    private func contents(_ directory: URL) throws -> [(String, Data)] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)!
        var result: [(String, Data)] = []
        for case let url as URL in enumerator where !url.hasDirectoryPath {
            let relative = String(url.path.dropFirst(directory.path.count + 1))
            result.append((relative, try Data(contentsOf: url)))
        }
        return result.sorted { $0.0 < $1.0 }
    }

    // MARK: - Reference validator (independent of the generator)

    static func days(_ text: Substring) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), d >= 1
        else { return nil }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= lengths[m - 1] else { return nil }
        var components = DateComponents()
        components.year = y
        components.month = m
        components.day = d
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components) else { return nil }
        return Int((date.timeIntervalSince1970 / 86_400).rounded())
    }

    /// Cents of a non-negative amount with exactly two decimals.
    static func cents(_ text: Substring) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count == 2,
            parts[0].allSatisfy(\.isASCII), parts[0].allSatisfy(\.isNumber), parts[1].allSatisfy(\.isNumber),
            let whole = Int(parts[0]), let fraction = Int(parts[1])
        else { return nil }
        return whole * 100 + fraction
    }

    static func validNPI(_ text: Substring) -> Bool {
        guard text.count == 10, text.first == "1" || text.first == "2", text.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return false }
        let digits = ("80840" + text).compactMap { $0.wholeNumberValue }
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            if offset % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func longestDigitRun(_ text: String) -> Int {
        var longest = 0
        var run = 0
        for character in text {
            run = character.isASCII && character.isNumber ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// `^(CO|PR|OA|PI|CR)-[0-9]{1,3}$`
    static func isCARC(_ text: Substring) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && ["CO", "PR", "OA", "PI", "CR"].contains(parts[0]) && isDigits(parts[1])
            && parts[1].count <= 3
    }

    /// `P` + 8 hex digits.
    static func isPatientRef(_ text: Substring) -> Bool {
        text.count == 9 && text.first == "P" && text.dropFirst().allSatisfy { $0.isASCII && $0.isHexDigit }
    }

    static func isCustomerID(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Five digits, or four digits and F/T/U.
    static func isCPT(_ text: Substring) -> Bool {
        text.count == 5 && isDigits(text.prefix(4)) && (isDigits(text.suffix(1)) || "FTU".contains(text.last!))
    }

    /// The rule violations of one data line, named like ``SampleDirtyKind`` where one applies.
    static func violations(
        _ line: Substring,
        customer: String,
        asOf: Int,
        seenIDs: inout Set<Substring>
    ) -> Set<String> {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 14 else { return ["wrong_column_count"] }
        var found = Set<String>()
        let (claimID, customerID, payer, cpt) = (fields[0], fields[1], fields[2], fields[3])
        let outcome = fields[7]
        let reason = fields[8]
        for index in [0, 1, 2, 3, 4, 5, 7, 9, 12, 13] where fields[index].isEmpty { found.insert("missing_required") }
        if !claimID.isEmpty, !seenIDs.insert(claimID).inserted { found.insert("duplicate_claim_id") }
        if customerID != customer || !isCustomerID(customerID) { found.insert("customer") }
        if !payer.isEmpty, payer.contains(where: { !$0.isASCII }) { found.insert("payer") }
        if !cpt.isEmpty, !isCPT(cpt) { found.insert("cpt") }
        if line.contains("\"") { found.insert("quote") }
        // Ids must not look like SSNs or phone numbers to a PHI scan: no 9+ digit run across separators.
        for index in [0, 12] where longestDigitRun(fields[index].filter { !"-. ".contains($0) }) >= 9 {
            found.insert("phi_like")
        }

        var dates: [Int?] = []
        for index in 4...6 {
            if fields[index].isEmpty {
                dates.append(nil)
            } else if let day = days(fields[index]) {
                dates.append(day)
            } else {
                dates.append(nil)
                found.insert("impossible_date")
            }
        }
        var amounts: [Int?] = []
        for index in 9...11 {
            if fields[index].isEmpty {
                amounts.append(nil)
            } else if fields[index].hasPrefix("-") {
                amounts.append(nil)
                found.insert("negative_amount")
            } else if let value = cents(fields[index]) {
                amounts.append(value)
            } else {
                amounts.append(nil)
                found.insert("amount_format")
            }
        }
        if !fields[13].isEmpty, !validNPI(fields[13]) { found.insert("bad_npi") }
        if !isPatientRef(fields[12]), !fields[12].isEmpty { found.insert("patient_ref") }

        if let service = dates[0], let submitted = dates[1], service > submitted { found.insert("date_order") }
        if let submitted = dates[1], let decided = dates[2], submitted > decided { found.insert("date_order") }
        for case let day? in dates where day >= asOf { found.insert("future_date") }
        if let service = dates[0], service < asOf - 730 { found.insert("old_service_date") }

        let (billed, allowed, paid) = (amounts[0], amounts[1], amounts[2])
        if let paid, let billed, paid > billed {
            found.insert("paid_gt_billed")
        } else if let paid, let allowed, paid > allowed {
            found.insert("amount_order")
        }
        if let allowed, let billed, allowed > billed { found.insert("amount_order") }

        switch outcome {
        case "paid":
            if !reason.isEmpty { found.insert("paid_with_reason") }
            if fields[10].isEmpty || fields[11].isEmpty { found.insert("paid_without_amounts") }
            if fields[6].isEmpty { found.insert("missing_decided_date") }
        case "denied":
            if reason.isEmpty {
                found.insert("denied_without_reason")
            } else if !isCARC(reason) {
                found.insert("bad_reason")
            }
            if let paid, paid != 0 { found.insert("denied_with_payment") }
            if fields[6].isEmpty { found.insert("missing_decided_date") }
        case "pending":
            if !fields[6].isEmpty { found.insert("pending_with_decided_date") }
            if !reason.isEmpty || !fields[10].isEmpty || !fields[11].isEmpty { found.insert("pending_with_values") }
        case "":
            break
        default:
            found.insert("unknown_outcome")
        }
        return found
    }

    static var asOfDays: Int { days("2026-11-21")! }

    // MARK: - Tests

    @Test func sameSeedSameBytesDifferentSeedDifferentBytes() throws {
        let (first, _) = try generate(rows: 3_000, customers: 4, seed: 42, dirty: 0.05, drift: true)
        let (second, _) = try generate(rows: 3_000, customers: 4, seed: 42, dirty: 0.05, drift: true)
        let (third, _) = try generate(rows: 3_000, customers: 4, seed: 43, dirty: 0.05, drift: true)
        defer { for url in [first, second, third] { try? FileManager.default.removeItem(at: url) } }
        let a = try contents(first)
        let b = try contents(second)
        #expect(a.map(\.0) == b.map(\.0))
        #expect(a.map(\.1) == b.map(\.1))
        let c = try contents(third)
        let firstClaims = a.first { $0.0.hasPrefix("acme-clinic/") }!.1
        let thirdClaims = c.first { $0.0.hasPrefix("acme-clinic/") }!.1
        #expect(firstClaims != thirdClaims)
    }

    @Test func rowCountsHeaderAndLayout() throws {
        let (directory, summary) = try generate(rows: 5_003, customers: 7, seed: 3)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(summary.files.count == 7)
        #expect(summary.rows == 5_003)
        #expect(summary.files.reduce(0) { $0 + $1.rows } == 5_003)
        #expect(summary.badLines == 0)
        #expect(summary.dirtyLinesPath == nil && summary.driftTruthPath == nil)
        #expect(summary.files.first?.customerID == "acme-clinic")
        for file in summary.files {
            #expect(file.path == "\(file.customerID)/claims-3.csv")
            let lines = try lines(directory.appendingPathComponent(file.path))
            #expect(lines.count == file.rows + 1)
            #expect(lines.first.map(String.init) == SampleGenerator.header)
        }
        #expect(
            SampleGenerator.header == "claim_id,customer_id,payer,cpt_code,service_date,submitted_date,decided_date,"
                + "outcome,denial_reason,billed_amount,allowed_amount,paid_amount,patient_ref,provider_npi"
        )
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("dirty-lines.csv").path))
    }

    @Test func cleanRowsSatisfyEveryRule() throws {
        let (directory, summary) = try generate(rows: 20_000, customers: 6, seed: 11, drift: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var outcomes: [Substring: Int] = [:]
        var codes = Set<Substring>()
        for file in summary.files {
            var seen = Set<Substring>()
            for line in try lines(directory.appendingPathComponent(file.path)).dropFirst() {
                let problems = Self.violations(line, customer: file.customerID, asOf: Self.asOfDays, seenIDs: &seen)
                #expect(problems.isEmpty, "\(file.path): \(problems.sorted()) in \(line)")
                if !problems.isEmpty { return }
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                outcomes[fields[7], default: 0] += 1
                codes.insert(fields[3])
            }
        }
        let total = Double(summary.rows)
        #expect(abs(Double(outcomes["paid", default: 0]) / total - 0.80) < 0.04)
        #expect(abs(Double(outcomes["denied", default: 0]) / total - 0.12) < 0.04)
        #expect(abs(Double(outcomes["pending", default: 0]) / total - 0.08) < 0.02)
        #expect(codes.count > 120)
    }

    @Test func paretoCustomerMix() throws {
        let (directory, summary) = try generate(rows: 20_000, customers: 10, seed: 5)
        defer { try? FileManager.default.removeItem(at: directory) }
        let counts = summary.files.map(\.rows).sorted(by: >)
        #expect(counts.count == 10)
        #expect(Double(counts[0] + counts[1]) / 20_000 >= 0.7)
        #expect(counts.allSatisfy { $0 > 0 })
    }

    @Test func dirtyLinesAreListedAndBadInTheRecordedWay() throws {
        let (directory, summary) = try generate(rows: 10_000, customers: 5, seed: 9, dirty: 0.03)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(summary.badLines == 300)
        #expect(summary.dirtyLinesPath == "dirty-lines.csv")
        let listing = try lines(directory.appendingPathComponent("dirty-lines.csv"))
        #expect(listing.first == "file,line,kind")
        #expect(listing.count == 301)
        var recorded: [String: [Int: String]] = [:]
        var kinds: [String: Int] = [:]
        for entry in listing.dropFirst() {
            let parts = entry.split(separator: ",")
            #expect(parts.count == 3)
            recorded[String(parts[0]), default: [:]][Int(parts[1])!] = String(parts[2])
            kinds[String(parts[2]), default: 0] += 1
        }
        #expect(Set(kinds.keys) == Set(SampleDirtyKind.allCases.map(\.rawValue)))
        #expect(kinds.values.allSatisfy { $0 >= 25 && $0 <= 35 })
        for file in summary.files {
            let bad = recorded[file.path] ?? [:]
            #expect(bad.count == file.badLines)
            var seen = Set<Substring>()
            for (offset, line) in try lines(directory.appendingPathComponent(file.path)).enumerated() where offset > 0 {
                let problems = Self.violations(line, customer: file.customerID, asOf: Self.asOfDays, seenIDs: &seen)
                if let kind = bad[offset + 1] {
                    #expect(
                        problems == [kind] || (kind == "paid_gt_billed" && problems == [kind, "amount_order"]),
                        "\(file.path):\(offset + 1) \(kind): \(problems.sorted())"
                    )
                } else {
                    #expect(problems.isEmpty, "\(file.path):\(offset + 1): \(problems.sorted())")
                }
            }
        }
    }

    /// `historyDays` sets how far back decisions go: half the days and half the rows keep the windows' volume.
    @Test func historyDaysSpreadTheDecisionsOverThatManyDays() throws {
        func decidedDays(rows: Int, historyDays: Int) throws -> [Int] {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let configuration = SampleGenerator.Configuration(
                rows: rows,
                customers: 2,
                seed: 5,
                asOf: Self.asOf,
                historyDays: historyDays
            )
            let summary = try SampleGenerator(configuration: configuration).write(to: directory)
            return try summary.files.flatMap { file in
                try lines(directory.appendingPathComponent(file.path)).dropFirst().compactMap {
                    Self.days($0.split(separator: ",", omittingEmptySubsequences: false)[6])
                }
            }
        }
        let full = try decidedDays(rows: 40_000, historyDays: 560)
        let half = try decidedDays(rows: 20_000, historyDays: 280)
        let asOf = Self.asOfDays
        #expect(full.min() == asOf - 560 && full.max() == asOf - 1)
        #expect(half.min() == asOf - 280 && half.max() == asOf - 1)
        let inWindows = { (days: [Int]) in Double(days.filter { $0 >= asOf - 120 }.count) }
        #expect(abs(inWindows(half) / inWindows(full) - 1) < 0.05, "the same volume in the drift windows")
        #expect(throws: SampleGeneratorError.self) {
            try SampleGenerator(configuration: .init(rows: 10, customers: 1, seed: 1, historyDays: 0))
                .write(to: FileManager.default.temporaryDirectory)
        }
    }

    @Test func driftTruthMatchesThePlantedShift() throws {
        let (directory, summary) = try generate(rows: 120_000, customers: 5, seed: 21, drift: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(summary.driftTruthPath == "drift-truth.csv")
        let truth = try lines(directory.appendingPathComponent("drift-truth.csv"))
        #expect(truth.first == "payer,metric,baseline,current")
        let rows = truth.dropFirst().map { $0.split(separator: ",").map(String.init) }
        let denial = rows.filter { $0[1] == "denial_rate" }
        let slow = rows.filter { $0[1] == "decision_days" }
        #expect((2...3).contains(denial.count))
        #expect(slow.count == 1)

        let asOf = Self.asOfDays
        // payer → window (0 baseline, 1 current) → (decided, denied, decision days)
        var decided: [String: [Int]] = [:]
        var denied: [String: [Int]] = [:]
        var decisionDays: [String: [[Int]]] = [:]
        for file in summary.files {
            for line in try lines(directory.appendingPathComponent(file.path)).dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                guard let day = Self.days(fields[6]), let submitted = Self.days(fields[5]) else { continue }
                let window: Int
                if day >= asOf - 30 { window = 1 } else if day >= asOf - 120 { window = 0 } else { continue }
                let payer = String(fields[2])
                decided[payer, default: [0, 0]][window] += 1
                if fields[7] == "denied" { denied[payer, default: [0, 0]][window] += 1 }
                decisionDays[payer, default: [[], []]][window].append(day - submitted)
            }
        }
        for row in denial {
            let payer = row[0]
            let baseline = Double(denied[payer]![0]) / Double(decided[payer]![0])
            let current = Double(denied[payer]![1]) / Double(decided[payer]![1])
            #expect(Double(row[3])! - Double(row[2])! >= 0.15)
            #expect(current - baseline > 0.1, "\(payer): \(baseline) → \(current)")
            #expect(abs(baseline - Double(row[2])!) < 0.05)
        }
        let slowPayer = slow[0][0]
        let medians = decisionDays[slowPayer]!.map { $0.sorted()[$0.count / 2] }
        #expect(Double(medians[1]) > Double(medians[0]) * 1.8, "\(slowPayer): \(medians)")
        // A payer without planted drift keeps its denial rate.
        let drifting = Set(rows.map { $0[0] })
        let steady = ["MEDICARE", "UNITEDHEALTHCARE", "MEDICAID", "AETNA", "BCBS-TX", "CIGNA"]
            .first { !drifting.contains($0) }!
        let steadyBaseline = Double(denied[steady]![0]) / Double(decided[steady]![0])
        let steadyCurrent = Double(denied[steady]![1]) / Double(decided[steady]![1])
        #expect(abs(steadyCurrent - steadyBaseline) < 0.06)
    }

    @Test func rejectsBadConfiguration() {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("driftline-unused")
        #expect(throws: SampleGeneratorError.self) {
            try SampleGenerator(configuration: .init(rows: 10, customers: 0, seed: 1)).write(to: directory)
        }
        #expect(throws: SampleGeneratorError.self) {
            try SampleGenerator(configuration: .init(rows: 10, customers: 2, seed: 1, asOf: (2026, 2, 30)))
                .write(to: directory)
        }
        #expect(throws: SampleGeneratorError.self) {
            try SampleGenerator(configuration: .init(rows: 10, customers: 2, seed: 1, dirtyFraction: 1.5))
                .write(to: directory)
        }
    }
}
