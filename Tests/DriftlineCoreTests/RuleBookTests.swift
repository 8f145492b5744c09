import DriftlineCore
import DriftlineTestSupport
import Foundation
import Testing

@Suite struct RuleBookTests {
    static let asOf = ClaimRowFixture.day("2026-06-15")

    static func book(_ yaml: String, asOf: Int32 = asOf, lists: [String: [String]] = [:]) throws -> RuleBook {
        try RuleBook.parse(yaml: yaml, groups: ClaimRowFixture.groups, asOf: asOf, lists: lists)
    }

    /// The ids of the rules `values` fails.
    static func failures(_ book: RuleBook, _ values: [ClaimColumn: String]) -> [String] {
        hits(book, values).map { book.rule($0.rule).id }
    }

    static func hits(_ book: RuleBook, _ values: [ClaimColumn: String]) -> [RuleHit] {
        ClaimRowFixture.withRow(values, payers: book.payers) { row in
            var hits: [RuleHit] = []
            book.evaluate(row, into: &hits)
            return hits
        }
    }

    static func rule(_ body: String, id: String = "r", severity: String = "error") -> String {
        "rules:\n  - id: \(id)\n    severity: \(severity)\n    message: test rule\n"
            + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
    }

    typealias Row = [ClaimColumn: String?]
    static func row(_ changes: Row) -> [ClaimColumn: String] { ClaimRowFixture.row(changes) }

    // MARK: - Kinds

    @Test func required() throws {
        let book = try Self.book(Self.rule("kind: required\nfield: denial_reason"))
        #expect(Self.failures(book, Self.row([.denialReason: "CO-97"])) == [])
        #expect(Self.failures(book, Self.row([:])) == ["r"])
        #expect(Self.failures(book, Self.row([.denialReason: ""])) == ["r"])
        #expect(Self.hits(book, Self.row([:])).first?.column == .denialReason)
        #expect(book.rule(0).column == "denial_reason")
    }

    @Test func oneOfIsCaseInsensitive() throws {
        let book = try Self.book(Self.rule("kind: one_of\nfield: outcome\nvalues: [paid, denied]"))
        #expect(Self.failures(book, Self.row([.outcome: "PAID"])) == [])
        #expect(Self.failures(book, Self.row([.outcome: "Denied"])) == [])
        #expect(Self.failures(book, Self.row([.outcome: "pending"])) == ["r"])
        #expect(Self.failures(book, Self.row([.outcome: "paidx"])) == ["r"])
        #expect(Self.failures(book, Self.row([.outcome: nil])) == [], "empty values are for `required`")
    }

    @Test func pattern() throws {
        let book = try Self.book(Self.rule(#"kind: pattern\#nfield: claim_id\#npattern: '^C\d{7}$'"#))
        #expect(Self.failures(book, Self.row([.claimID: "C0000001"])) == [])
        #expect(Self.failures(book, Self.row([.claimID: "C000001"])) == ["r"])
        #expect(Self.failures(book, Self.row([.claimID: "C00000012"])) == ["r"])
        #expect(Self.failures(book, Self.row([.claimID: "x C0000001"])) == ["r"])
    }

    @Test(arguments: [
        // pattern, value, matches
        ("^(CO|PR|OA|PI|CR)-[0-9]{1,3}$", "CO-97", true),
        ("^(CO|PR|OA|PI|CR)-[0-9]{1,3}$", "CR-4", true),
        ("^(CO|PR|OA|PI|CR)-[0-9]{1,3}$", "CO-1234", false),
        ("^(CO|PR|OA|PI|CR)-[0-9]{1,3}$", "XX-97", false),
        ("^(CO|PR|OA|PI|CR)-[0-9]{1,3}$", "co-97", false),
        ("97", "CO-97", true),
        ("^P[0-9a-f]{8}$", "P1a2b3c4d", true),
        ("^P[0-9a-f]{8}$", "P1A2B3C4D", false),
        ("a.*b", "xxaYYbzz", true),
        ("a.*b$", "xxaYYbzz", false),
        ("^[A-Z0-9][A-Z0-9 &.-]*$", "BCBS-TX", true),
        ("^[A-Z0-9][A-Z0-9 &.-]*$", "bcbs", false),
        (#"^\w+@\w+\.com$"#, "a_b@x.com", true),
        (#"^\s*$"#, "   ", true),
        ("^[^0-9]+$", "abc", true),
        ("^[^0-9]+$", "ab1", false),
        ("^(ab|cd)+$", "abcdab", true),  // quantified group: regexec
        ("^(ab|cd)+$", "abca", false),
        ("^x?y{2,}z*$", "yyy", true),
        ("^x?y{2,}z*$", "xy", false),
        ("colou?r", "my color", true),
        // Fixed width, matched position by position.
        ("^[0-9]{10}$", "1234567893", true),
        ("^[0-9]{10}$", "123456789", false),
        ("^[0-9]{10}$", "12345678930", false),
        ("^[0-9]{10}$", "12345a7893", false),
        (#"^C\d{3}-[A-Z]$"#, "C123-Q", true),
        (#"^C\d{3}-[A-Z]$"#, "C123-q", false),
        (#"^C\d{3}-[A-Z]$"#, "C123Q", false),
    ])
    func patternMatcherAgreesWithPOSIX(pattern: String, value: String, matches: Bool) throws {
        let compiled = try #require(RulePattern(pattern))
        var bytes = Array(value.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            let view = UnsafeBufferPointer(buffer)
            #expect(compiled.matches(view) == matches)
            #expect(compiled.posixMatches(view) == matches, "POSIX reference")
        }
    }

    @Test func simplePatternsAvoidRegexec() throws {
        #expect(try #require(RulePattern("^(CO|PR|OA|PI|CR)-[0-9]{1,3}$")).isSimple)
        #expect(try #require(RulePattern(#"^P[0-9a-f]{8}$"#)).isSimple)
        #expect(try #require(RulePattern(#"^C\d{7}$"#)).isSimple)
        #expect(try #require(RulePattern("^(ab|cd)+$")).isSimple == false)
        #expect(try #require(RulePattern(#"^P[0-9a-f]{8}$"#)).isFixedWidth)
        #expect(try #require(RulePattern("^[0-9]{10}$")).isFixedWidth)
        #expect(try #require(RulePattern("^[0-9]{1,3}$")).isFixedWidth == false)
        #expect(try #require(RulePattern("[0-9]{10}")).isFixedWidth == false)
    }

    @Test func maxLengthCountsCharacters() throws {
        let book = try Self.book(Self.rule("kind: max_length\nfield: claim_id\nmax: 4"))
        #expect(Self.failures(book, Self.row([.claimID: "abcd"])) == [])
        #expect(Self.failures(book, Self.row([.claimID: "éàüö"])) == [], "4 characters, 8 bytes")
        #expect(Self.failures(book, Self.row([.claimID: "abcde"])) == ["r"])
    }

    @Test func dateRangeWithRelativeBounds() throws {
        let book = try Self.book(
            Self.rule("kind: range\nfield: service_date\nmin: today - 3 years\nmax: today")
        )
        #expect(Self.failures(book, Self.row([.serviceDate: "2023-06-15"])) == [])
        #expect(Self.failures(book, Self.row([.serviceDate: "2023-06-14"])) == ["r"])
        #expect(Self.failures(book, Self.row([.serviceDate: "2026-06-15"])) == [])
        #expect(Self.failures(book, Self.row([.serviceDate: "2026-06-16"])) == ["r"])
        #expect(
            Self.failures(book, Self.row([.serviceDate: "2026-02-30"])) == [],
            "invalid: the format pass reports it"
        )
    }

    @Test func leapDays() throws {
        // As of a leap day, "today - 1 year" clamps to 2023-02-28 and "today - 4 years" is 2020-02-29.
        let leap = ClaimRowFixture.day("2024-02-29")
        let oneYear = try Self.book(Self.rule("kind: range\nfield: service_date\nmin: today - 1 year"), asOf: leap)
        #expect(Self.failures(oneYear, Self.row([.serviceDate: "2023-02-28"])) == [])
        #expect(Self.failures(oneYear, Self.row([.serviceDate: "2023-02-27"])) == ["r"])
        let fourYears = try Self.book(Self.rule("kind: range\nfield: service_date\nmin: today - 4 years"), asOf: leap)
        #expect(Self.failures(fourYears, Self.row([.serviceDate: "2020-02-29"])) == [])
        #expect(Self.failures(fourYears, Self.row([.serviceDate: "2020-02-28"])) == ["r"])
        // A leap day is a valid date and an absolute bound.
        let absolute = try Self.book(Self.rule("kind: range\nfield: service_date\nmin: 2024-02-29\nmax: 2024-03-01"))
        #expect(Self.failures(absolute, Self.row([.serviceDate: "2024-02-29"])) == [])
        #expect(Self.failures(absolute, Self.row([.serviceDate: "2024-02-28"])) == ["r"])
        // Relative bounds by days and months across the leap day.
        let days = try Self.book(
            Self.rule("kind: range\nfield: service_date\nmin: today - 1 day\nmax: today + 1 month"),
            asOf: leap
        )
        #expect(Self.failures(days, Self.row([.serviceDate: "2024-02-28"])) == [])
        #expect(Self.failures(days, Self.row([.serviceDate: "2024-03-29"])) == [])
        #expect(Self.failures(days, Self.row([.serviceDate: "2024-03-30"])) == ["r"])
        #expect(Self.failures(days, Self.row([.serviceDate: "2024-02-27"])) == ["r"])
    }

    @Test func amountRangeIncludingZero() throws {
        let book = try Self.book(Self.rule("kind: range\nfield: billed_amount\nmin: '0'\nmax: '100000.00'"))
        #expect(Self.failures(book, Self.row([.billedAmount: "0.00"])) == [])
        #expect(Self.failures(book, Self.row([.billedAmount: "100000.00"])) == [])
        #expect(Self.failures(book, Self.row([.billedAmount: "100000.01"])) == ["r"])
        let positive = try Self.book(Self.rule("kind: range\nfield: paid_amount\nmin: '0.01'"))
        #expect(Self.failures(positive, Self.row([.paidAmount: "0.00"])) == ["r"])
        #expect(Self.failures(positive, Self.row([.paidAmount: nil])) == [])
    }

    @Test func compareChainsBlameTheDependentColumn() throws {
        let dates = try Self.book(Self.rule("kind: compare\nexpr: service_date <= submitted_date <= decided_date"))
        #expect(Self.failures(dates, Self.row([:])) == [])
        #expect(Self.failures(dates, Self.row([.submittedDate: "2026-05-01"])) == [], "equal dates pass")
        let late = Self.hits(dates, Self.row([.decidedDate: "2026-05-02"]))
        #expect(late.map(\.column) == [.decidedDate])
        let early = Self.hits(dates, Self.row([.submittedDate: "2026-04-30"]))
        #expect(early.map(\.column) == [.submittedDate])
        #expect(Self.failures(dates, Self.row([.decidedDate: nil])) == [], "pending: the missing link is skipped")

        let amounts = try Self.book(
            Self.rule("kind: compare\nexpr: paid_amount<=allowed_amount <= billed_amount\nblame: paid_amount")
        )
        #expect(Self.failures(amounts, Self.row([.paidAmount: "0.00", .allowedAmount: "0.00"])) == [])
        let over = Self.hits(amounts, Self.row([.paidAmount: "200.00", .allowedAmount: "180.00"]))
        #expect(over.map(\.column) == [.paidAmount])
    }

    @Test func whenThen() throws {
        let book = try Self.book(
            """
            rules:
              - id: denied-needs-carc
                kind: when_then
                if: {outcome: denied}
                then: {field: denial_reason, pattern: '^(CO|PR|OA|PI|CR)-[0-9]{1,3}$'}
                severity: error
                message: denied needs CARC
              - id: pending-no-decided
                kind: when_then
                if: {outcome: [pending]}
                then: {field: decided_date, empty: true}
                severity: error
                message: pending has no decided date
            """
        )
        #expect(Self.failures(book, Self.row([.outcome: "denied", .denialReason: "CO-97"])) == [])
        #expect(Self.failures(book, Self.row([.outcome: "DENIED", .denialReason: "denied"])) == ["denied-needs-carc"])
        let missing = Self.hits(book, Self.row([.outcome: "denied", .denialReason: nil]))
        #expect(missing.map { book.rule($0.rule).id } == ["denied-needs-carc"])
        #expect(missing.first?.column == .denialReason)
        #expect(Self.failures(book, Self.row([.outcome: "paid", .denialReason: "junk"])) == [])
        #expect(Self.failures(book, Self.row([.outcome: "pending", .decidedDate: nil])) == [])
        #expect(Self.failures(book, Self.row([.outcome: "pending"])) == ["pending-no-decided"])
    }

    @Test func whenThenOnEmptyCondition() throws {
        let book = try Self.book(
            Self.rule("kind: when_then\nif: {decided_date: ''}\nthen: {field: outcome, one_of: [pending]}")
        )
        #expect(Self.failures(book, Self.row([.decidedDate: nil, .outcome: "pending"])) == [])
        #expect(Self.failures(book, Self.row([.decidedDate: nil, .outcome: "paid"])) == ["r"])
        #expect(Self.failures(book, Self.row([.outcome: "paid"])) == [])
    }

    @Test func lookupList() throws {
        let book = try Self.book(
            Self.rule("kind: lookup\nfield: cpt_code\nlist: lists/codes.txt"),
            lists: ["lists/codes.txt": ["# comment", "99213", " 0001f  # trailing comment", ""]]
        )
        #expect(Self.failures(book, Self.row([.cptCode: "99213"])) == [])
        #expect(Self.failures(book, Self.row([.cptCode: "0001F"])) == [])
        #expect(Self.failures(book, Self.row([.cptCode: "99214"])) == ["r"])
    }

    @Test func lookupListFromDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("lists"),
            withIntermediateDirectories: true
        )
        defer { try? FileManager.default.removeItem(at: directory) }
        try "99213\n99214\n".write(
            to: directory.appendingPathComponent("lists/em.txt"),
            atomically: true,
            encoding: .utf8
        )
        try Self.rule("kind: lookup\nfield: cpt_code\nlist: lists/em.txt\nwhen: {payer: MEDICARE}")
            .write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "groups: []\n".write(
            to: directory.appendingPathComponent("cpt_groups.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let book = try RuleBook.load(directory: directory, groups: ClaimRowFixture.groups, asOf: Self.asOf)
        #expect(book.count == 1)
        #expect(Self.failures(book, Self.row([.payer: "medicare", .cptCode: "99215"])) == ["r"])
        #expect(Self.failures(book, Self.row([.payer: "MEDICARE", .cptCode: "99214"])) == [])
        #expect(Self.failures(book, Self.row([.payer: "AETNA", .cptCode: "99215"])) == [])
    }

    @Test(arguments: [
        ("1234567893", true), ("1245319599", true), ("1234567890", false), ("123456789", false),
        ("12345678931", false), ("12345678a3", false),
    ])
    func npi(value: String, valid: Bool) throws {
        #expect(NPI.isValid(value) == valid)
        let book = try Self.book(Self.rule("kind: npi"))
        #expect(Self.failures(book, Self.row([.providerNPI: value])).isEmpty == valid)
    }

    @Test(arguments: [
        ("CO-97", false), ("CO-197", false), ("PR-204", false), ("see notes", false), ("claim 12345", false),
        ("CANARY-123-45-6789", true), ("ssn 123456789 on file", true), ("call 555-123-4567", true),
        ("(555) 123-4567", true), ("+1 555 123 4567", true), ("5551234567", true), ("mail a.b@example.org", true),
        ("user@host", false), ("1234567890123", false), ("@example.com", false),
    ])
    func noPHI(value: String, flagged: Bool) throws {
        let book = try Self.book(Self.rule("kind: no_phi\nfield: denial_reason"))
        #expect(Self.failures(book, Self.row([.denialReason: value])) == (flagged ? ["r"] : []))
    }

    @Test func cptGroupField() throws {
        let book = try Self.book(Self.rule("kind: one_of\nfield: cpt_group\nvalues: ['E&M', Medicine]"))
        #expect(Self.failures(book, Self.row([.cptCode: "99213"])) == [])
        #expect(Self.failures(book, Self.row([.cptCode: "93000"])) == [])
        #expect(Self.failures(book, Self.row([.cptCode: "71046"])) == ["r"])
        #expect(Self.hits(book, Self.row([.cptCode: "71046"])).first?.column == .cptCode)
    }

    // MARK: - Scope

    @Test func payerScopeNeverFiresForAnotherPayer() throws {
        let book = try Self.book(Self.rule("kind: required\nfield: denial_reason\nwhen: {payer: [MEDICARE, bcbs-tx]}"))
        #expect(Self.failures(book, Self.row([.payer: "MEDICARE"])) == ["r"])
        #expect(Self.failures(book, Self.row([.payer: "medicare"])) == ["r"])
        #expect(Self.failures(book, Self.row([.payer: "BCBS-TX"])) == ["r"])
        #expect(Self.failures(book, Self.row([.payer: "AETNA"])) == [])
        #expect(Self.failures(book, Self.row([.payer: "MEDICAREX"])) == [])
        #expect(Self.failures(book, Self.row([.payer: nil])) == [])
    }

    @Test func cptScopeWithRangesAndCategoryII() throws {
        let book = try Self.book(Self.rule("kind: required\nfield: denial_reason\nwhen: {cpt: ['99202-99215', 0001F]}"))
        for code in ["99202", "99213", "99215", "0001F", "0001f"] {
            #expect(Self.failures(book, Self.row([.cptCode: code])) == ["r"], "\(code)")
        }
        for code in ["99201", "99216", "0002F", "00010", "1234T", "bogus"] {
            #expect(Self.failures(book, Self.row([.cptCode: code])) == [], "\(code)")
        }
    }

    @Test func cptGroupAndCustomerScopes() throws {
        let book = try Self.book(
            """
            rules:
              - {id: em, kind: required, field: denial_reason, severity: error, message: m, when: {cpt_group: ['E&M']}}
              - {id: acme, kind: required, field: denial_reason, severity: error, message: m, when: {customer: [acme-clinic]}}
              - {id: both, kind: required, field: denial_reason, severity: error, message: m,
                 when: {cpt_group: [Radiology], cpt: ['70000-71999'], customer: [ACME-CLINIC], payer: [AETNA]}}
              - {id: all, kind: required, field: denial_reason, severity: warning, message: m}
            """
        )
        #expect(Self.failures(book, Self.row([:])) == ["em", "acme", "all"])
        #expect(Self.failures(book, Self.row([.customerID: "northside"])) == ["em", "all"])
        #expect(Self.failures(book, Self.row([.customerID: "northside", .cptCode: "71046"])) == ["all"])
        #expect(Self.failures(book, Self.row([.cptCode: "71046"])) == ["acme", "both", "all"])
        #expect(Self.failures(book, Self.row([.cptCode: "72148"])) == ["acme", "all"], "outside cpt ∩ group")
        #expect(Self.failures(book, Self.row([.cptCode: "71046", .payer: "CIGNA"])) == ["acme", "all"])
    }

    @Test func manyScopedRulesOnlyApplicableOnesRun() throws {
        // 25 payers × 40 codes, one rule each, plus 2 global rules: a row sees 1 + 2.
        var yaml = "rules:\n"
        for payer in 0..<25 {
            for code in 0..<40 {
                yaml += "  - {id: p\(payer)-c\(code), kind: required, field: denial_reason, severity: error, "
                yaml += "message: m, when: {payer: [PAYER\(payer)], cpt: ['\(99_100 + code)']}}\n"
            }
        }
        yaml += "  - {id: g1, kind: required, field: denial_reason, severity: error, message: m}\n"
        yaml += "  - {id: g2, kind: required, field: denial_reason, severity: error, message: m}\n"
        let book = try Self.book(yaml)
        #expect(book.count == 1002)
        #expect(Self.failures(book, Self.row([.payer: "payer7", .cptCode: "99113"])) == ["p7-c13", "g1", "g2"])
        #expect(Self.failures(book, Self.row([.payer: "OTHER", .cptCode: "99113"])) == ["g1", "g2"])
        #expect(Self.failures(book, Self.row([.payer: "PAYER7", .cptCode: "99213"])) == ["g1", "g2"])
    }

    /// The precomputed index agrees with matching every rule's scope directly, on random scopes and rows.
    @Test func indexAgreesWithDirectScopeMatching() throws {
        var generator = SystemRandomNumberGenerator()
        let payers = ["MEDICARE", "AETNA", "CIGNA", "BCBS-TX", "HUMANA"]
        let customers = ["acme-clinic", "northside-group", "lakeview-health"]
        let codes = [
            "00142", "10060", "27447", "71046", "80053", "85025", "93000", "99202", "99213", "99215",
            "99285", "3074F", "0042T", "99499",
        ]
        struct Scope {
            var payers: [String]?
            var customers: [String]?
            var ranges: [(String, String)]?
        }
        var scopes: [Scope] = []
        var yaml = "rules:\n"
        for index in 0..<80 {
            var scope = Scope()
            var when: [String] = []
            if Bool.random(using: &generator) {
                scope.payers = Array(
                    payers.shuffled(using: &generator).prefix(Int.random(in: 1...3, using: &generator))
                )
                when.append("payer: [\(scope.payers!.joined(separator: ", "))]")
            }
            if Int.random(in: 0..<4, using: &generator) == 0 {
                scope.customers = [customers.randomElement(using: &generator)!]
                when.append("customer: [\(scope.customers![0])]")
            }
            if Bool.random(using: &generator) {
                scope.ranges = (0..<Int.random(in: 1...2, using: &generator)).map { _ in
                    let pair = [codes.randomElement(using: &generator)!, codes.randomElement(using: &generator)!]
                        .sorted { CPTCode.key($0)! < CPTCode.key($1)! }
                    return (pair[0], pair[1])
                }
                when.append("cpt: [" + scope.ranges!.map { "'\($0.0)-\($0.1)'" }.joined(separator: ", ") + "]")
            }
            scopes.append(scope)
            yaml += "  - {id: r\(index), kind: required, field: denial_reason, severity: error, message: m"
            yaml += when.isEmpty ? "}\n" : ", when: {\(when.joined(separator: ", "))}}\n"
        }
        let book = try Self.book(yaml)
        for _ in 0..<400 {
            let payer = (payers + ["OTHER"]).randomElement(using: &generator)!
            let customer = (customers + ["someone-else"]).randomElement(using: &generator)!
            let code = (codes + ["99203", "12345"]).randomElement(using: &generator)!
            let key = CPTCode.key(code)!
            let expected = scopes.enumerated().filter { _, scope in
                (scope.payers?.contains(payer) ?? true) && (scope.customers?.contains(customer) ?? true)
                    && (scope.ranges?.contains { CPTCode.key($0.0)! <= key && key <= CPTCode.key($0.1)! } ?? true)
            }.map { "r\($0.offset)" }
            let row = Self.row([.payer: payer.lowercased(), .customerID: customer, .cptCode: code])
            #expect(Self.failures(book, row) == expected, "\(payer) \(customer) \(code)")
        }
    }

    // MARK: - Shipped rules

    static var repositoryRules: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("rules")
    }

    @Test func shippedRulesLoadAndAcceptAValidRow() throws {
        let book = try RuleBook.load(directory: Self.repositoryRules, groups: ClaimRowFixture.groups, asOf: Self.asOf)
        #expect(book.count >= 12)
        #expect(Self.failures(book, ClaimRowFixture.valid) == [])
        #expect(Self.failures(book, Self.row([.payer: "MEDICARE"])) == [])
        // Pending claims: 0.00 or nothing paid is valid; money paid is the error.
        let pending: Row = [.outcome: "pending", .decidedDate: nil, .allowedAmount: "0.00", .paidAmount: "0.00"]
        #expect(Self.failures(book, Self.row(pending)) == [])
        #expect(Self.failures(book, Self.row(pending.merging([.paidAmount: nil]) { $1 })) == [])
        #expect(
            Self.failures(book, Self.row(pending.merging([.allowedAmount: "80.00", .paidAmount: "10.00"]) { $1 }))
                == ["pending-no-paid-amount"]
        )
        // Paid lines carry adjustment codes; denial codes come with or without the hyphen.
        #expect(Self.failures(book, Self.row([.denialReason: "CO-45"])) == [])
        let denied: Row = [.outcome: "denied", .paidAmount: "0.00", .allowedAmount: "0.00"]
        #expect(Self.failures(book, Self.row(denied.merging([.denialReason: "CO97"]) { $1 })) == [])
        // Payer scopes match every spelling of the canonical payer.
        for spelling in ["MEDICARE", "Medicare", "medicare part b", "Original Medicare"] {
            #expect(
                Self.failures(book, Self.row(denied.merging([.denialReason: "CR-4", .payer: spelling]) { $1 }))
                    == ["government-carc-group"],
                "\(spelling)"
            )
        }
        #expect(Self.failures(book, Self.row(denied.merging([.denialReason: "CR-4", .payer: "Aetna"]) { $1 })) == [])
        #expect(
            Self.failures(book, Self.row([.outcome: "denied", .paidAmount: "0.00", .allowedAmount: "0.00"]))
                == ["denied-needs-carc"]
        )
        #expect(Self.failures(book, Self.row([.providerNPI: "1234567890"])) == ["provider-npi-valid"])
        #expect(Self.failures(book, Self.row([.paidAmount: "500.00"])) == ["amount-order"])
        #expect(Self.failures(book, Self.row([.billedAmount: "1500.00"])) == ["em-billed-high"])
        #expect(Self.failures(book, Self.row([.cptCode: "27447", .billedAmount: "9500.00"])) == [])
    }

    /// A row's checks are read from one array: keeping a check at 16 bytes keeps them in few cache lines.
    @Test func compiledChecksStaySmall() {
        #expect(MemoryLayout<RuleCheck>.stride <= 16)
    }
}
