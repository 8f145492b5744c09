import Dispatch
import Foundation

/// The validation rules of a run, compiled from the YAML files in `rules/` into a scope index.
///
/// Load once per run (``load(directory:groups:asOf:)``), then call ``evaluate(_:into:)`` per row: the row's
/// payer, customer and CPT code select a precomputed list of applicable rules, and only those run. Evaluation
/// allocates nothing and reads the row's typed values (a date or amount the format pass could not parse is
/// absent, and rules on it stay silent: the format pass has reported it).
package final class RuleBook: Sendable {
    private let infos: [RuleInfo]
    private let checks: [RuleCheck]
    private let index: RuleIndex
    /// The distinct checks of all rules: rules that differ only in scope (the same check for
    /// another payer or CPT range) share one entry, so a row's checks stay in cache.
    private let uniqueChecks: [RuleCheck]
    /// For each position of ``RuleIndex/listRules``, its check in ``uniqueChecks``: a row's list is
    /// a short run of small integers.
    private let listChecks: [Int32]
    private let tables: [ByteTable]
    private let patterns: [RulePattern]
    /// `patterns` read without reference counting per row (`patterns` keeps them alive).
    private let unretainedPatterns: [Unmanaged<RulePattern>]
    private let comparisons: [RuleComparison]
    private let conditions: [RuleCondition]
    private let thenChecks: [RuleCheck]
    private let amountBounds: [AmountBounds]
    private let groupNames: GroupNames
    /// Canonical payer ids as bytes: rules on the `payer` field see the canonical id of a listed payer.
    private let payerNames: GroupNames
    /// The payer list the index and the format pass resolve names with.
    package let payers: PayerDirectory

    /// The number of rules.
    package var count: Int { infos.count }

    /// All rules, in load order (files by name, rules in file order); ``RuleHit/rule`` indexes this.
    package var rules: [RuleInfo] { infos }

    /// The rule at `index` (a ``RuleHit/rule``).
    package func rule(_ index: Int32) -> RuleInfo { infos[Int(index)] }

    /// The number of distinct applicable-rule lists the index holds (diagnostics).
    package var distinctRuleLists: Int { index.distinctLists }

    private init(_ compiler: RuleCompiler, payers: PayerDirectory) {
        infos = compiler.infos
        checks = compiler.checks
        index = RuleIndex(scopes: compiler.scopes, payers: payers)
        self.payers = payers
        payerNames = GroupNames(payers.ids)
        var unique: [RuleCheck] = []
        var positions: [RuleCheck: Int32] = [:]
        let uniqueOfRule = compiler.checks.map { check in
            if let known = positions[check] { return known }
            let position = Int32(unique.count)
            unique.append(check)
            positions[check] = position
            return position
        }
        listChecks = index.listRules.map { uniqueOfRule[Int($0)] }
        uniqueChecks = unique
        tables = compiler.tables
        patterns = compiler.patterns
        unretainedPatterns = compiler.patterns.map { Unmanaged.passUnretained($0) }
        comparisons = compiler.comparisons
        conditions = compiler.conditions
        thenChecks = compiler.thenChecks
        amountBounds = compiler.amountBounds
        groupNames = GroupNames(compiler.groups.names)
    }

    /// Loads every `*.yaml` / `*.yml` file of `directory` except `cpt_groups.yaml`, the payer list
    /// (`payer_names.yaml`, read into ``payers``) and the alert rules (`alerts.yaml`), in file-name order.
    ///
    /// - Parameters:
    ///   - groups: the CPT sections, for `cpt_group` scopes and fields.
    ///   - asOf: "today" for relative date bounds, in days since 1970-01-01.
    /// - Throws: ``ConfigError`` naming the file, line and rule id of the first problem.
    package static func load(directory: URL, groups: CPTGroups, asOf: Int32) throws(ConfigError) -> RuleBook {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ConfigError(file: directory.path, message: "cannot read the rules directory")
        }
        let files = names.filter {
            ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && $0 != "cpt_groups.yaml" && $0 != "cpt_groups.yml"
                && $0 != PayerDirectory.fileName && $0 != AlertRuleBook.fileName
        }.sorted()
        let payers = try PayerDirectory.load(directory: directory)
        var texts: [(path: String, text: String)] = []
        for name in files {
            let url = directory.appendingPathComponent(name)
            do { texts.append((url.path, try String(contentsOf: url, encoding: .utf8))) } catch {
                throw ConfigError(file: url.path, message: "cannot read the rules file")
            }
        }
        // YAML parsing is most of the load time: parse the files on every core, compile in file order.
        let sources = texts
        let parsed = ParsedFiles(count: sources.count)
        DispatchQueue.concurrentPerform(iterations: sources.count) { index in
            parsed.set(index, RuleCompiler.parse(yaml: sources[index].text, file: sources[index].path))
        }
        var compiler = RuleCompiler(groups: groups, asOf: asOf, directory: directory, inlineLists: [:])
        for (index, file) in texts.enumerated() {
            try compiler.add(parsed: parsed.get(index), file: file.path)
        }
        return RuleBook(compiler, payers: payers)
    }

    /// Compiles rules from YAML text (tests, tools).
    ///
    /// - Parameters:
    ///   - file: the name errors report.
    ///   - directory: where `lookup` list paths are resolved, if anywhere.
    ///   - lists: in-memory lookup lists by the path rules name (checked before `directory`).
    package static func parse(
        yaml: String,
        file: String = "rules.yaml",
        groups: CPTGroups,
        asOf: Int32,
        directory: URL? = nil,
        lists: [String: [String]] = [:],
        payers: PayerDirectory = .empty
    ) throws(ConfigError) -> RuleBook {
        var compiler = RuleCompiler(groups: groups, asOf: asOf, directory: directory, inlineLists: lists)
        try compiler.add(yaml: yaml, file: file)
        return RuleBook(compiler, payers: payers)
    }

    /// Appends a ``RuleHit`` for every applicable rule that `row` fails, in rule order.
    ///
    /// The caller clears `hits` between rows (so its capacity is reused).
    @inline(__always)
    package func evaluate(_ row: borrowing ClaimRow, into hits: inout [RuleHit]) {
        for position in index.applicable(to: row) {
            let verdict = evaluate(uniqueChecks[Int(listChecks[position])], row, strict: false)
            if verdict != Self.pass {
                let rule = index.rule(at: position)
                let column = verdict == Self.failDefault ? infos[Int(rule)].claimColumn : ClaimColumn(rawValue: verdict)
                hits.append(RuleHit(rule: rule, column: column))
            }
        }
    }

    /// The finding for a hit on the row at `line`: the rule's id, severity and message, the blamed column.
    @inline(__always)
    package func finding(_ hit: RuleHit, line: Int) -> Finding {
        let info = infos[Int(hit.rule)]
        return Finding(
            line: line,
            column: hit.column?.name ?? info.column,
            ruleID: info.id,
            severity: info.severity,
            message: info.message
        )
    }

    /// The findings for `hits` on the row at `line`.
    package func findings(_ hits: [RuleHit], line: Int) -> [Finding] {
        hits.map { finding($0, line: line) }
    }

    // MARK: - Evaluation

    /// Verdicts: `pass`, `failDefault` (blame the rule's column) or a column raw value to blame.
    private static let pass = -1
    private static let failDefault = -2

    /// The bytes of a field (for `cpt_group`, the section name), or `nil` when empty.
    @inline(__always)
    private func text(_ field: RuleField, _ row: borrowing ClaimRow) -> UnsafeBufferPointer<UInt8>? {
        switch field {
        case .column(let column):
            if column == .payer, let payer = row.payer { return payerNames.bytes(Int(payer)) }
            return row.bytes(column)
        case .cptGroup:
            guard let group = row.cptGroup else { return nil }
            return groupNames.bytes(Int(group))
        }
    }

    /// - Parameter strict: absent values fail value checks (inside `when_then`'s `then`).
    @inline(__always)
    private func evaluate(_ check: RuleCheck, _ row: borrowing ClaimRow, strict: Bool) -> Int {
        @inline(__always) func verdict(_ passed: Bool) -> Int { passed ? Self.pass : Self.failDefault }
        switch check {
        case .required(let field):
            return verdict(text(field, row).map { !$0.isEmpty } ?? false)
        case .empty(let field):
            return verdict(text(field, row).map { $0.isEmpty } ?? true)
        case .member(let field, let table):
            guard let bytes = text(field, row), !bytes.isEmpty else { return verdict(!strict) }
            return verdict(tables[Int(table)].contains(bytes))
        case .pattern(let field, let pattern):
            guard let bytes = text(field, row), !bytes.isEmpty else { return verdict(!strict) }
            return verdict(unretainedPatterns[Int(pattern)]._withUnsafeGuaranteedRef { $0.matches(bytes) })
        case .maxLength(let field, let max):
            guard let bytes = text(field, row) else { return Self.pass }
            if bytes.count <= Int(max) { return Self.pass }
            var scalars = 0
            for byte in bytes where byte & 0xC0 != 0x80 { scalars += 1 }
            return verdict(scalars <= Int(max))
        case .dateRange(let slot, let min, let max):
            let value = row.dates[Int(slot)]
            guard value != ClaimRow.noDate else { return verdict(true) }  // ranges pass empty values, even in `then`
            return verdict(value >= min && value <= max)
        case .amountRange(let slot, let bounds):
            let value = row.amounts[Int(slot)]
            guard value != ClaimRow.noAmount else { return verdict(true) }
            let range = amountBounds[Int(bounds)]
            return verdict(value >= range.min && value <= range.max)
        case .compare(let start, let count):
            for offset in Int(start)..<Int(start + count) {
                let link = comparisons[offset]
                let holds: Bool
                if link.isDate {
                    let left = row.dates[Int(link.left)]
                    let right = row.dates[Int(link.right)]
                    if left == ClaimRow.noDate || right == ClaimRow.noDate { continue }
                    holds = link.op.holds(left, right)
                } else {
                    let left = row.amounts[Int(link.left)]
                    let right = row.amounts[Int(link.right)]
                    if left == ClaimRow.noAmount || right == ClaimRow.noAmount { continue }
                    holds = link.op.holds(left, right)
                }
                if !holds { return link.blame.rawValue }
            }
            return Self.pass
        case .npi(let field):
            guard let bytes = text(field, row), !bytes.isEmpty else { return verdict(!strict) }
            return verdict(NPI.isValid(bytes))
        case .noPHI(let field):
            guard let bytes = text(field, row), !bytes.isEmpty else { return Self.pass }
            return verdict(!PHIScanner.containsPHI(bytes))
        case .whenThen(let start, let count, let then):
            for offset in Int(start)..<Int(start + count) {
                let condition = conditions[offset]
                if let bytes = text(condition.field, row), !bytes.isEmpty {
                    guard condition.table >= 0, tables[Int(condition.table)].contains(bytes) else { return Self.pass }
                } else if !condition.matchesEmpty {
                    return Self.pass
                }
            }
            return evaluate(thenChecks[Int(then)], row, strict: true)
        }
    }
}

/// CPT group names as bytes at stable addresses, so a `cpt_group` field reads like a column.
private final class GroupNames: Sendable {
    // Sendable: the buffer is written once in `init`, then only read; freed in `deinit`.
    nonisolated(unsafe) private let buffer: UnsafeMutableBufferPointer<UInt8>
    private let ranges: [Range<Int>]

    init(_ names: [String]) {
        let bytes = names.flatMap { Array($0.utf8) }
        buffer = .allocate(capacity: max(1, bytes.count))
        _ = buffer.initialize(from: bytes)
        var ranges: [Range<Int>] = []
        var start = 0
        for name in names {
            ranges.append(start..<(start + name.utf8.count))
            start += name.utf8.count
        }
        self.ranges = ranges
    }

    deinit { buffer.deallocate() }

    @inline(__always)
    func bytes(_ group: Int) -> UnsafeBufferPointer<UInt8>? {
        guard group >= 0, group < ranges.count else { return nil }
        return UnsafeBufferPointer(rebasing: buffer[ranges[group]])
    }
}

/// Parse results written by concurrent workers, each to its own slot, read after they all finished.
private final class ParsedFiles: @unchecked Sendable {
    // @unchecked: every slot is written by exactly one worker, and read only after
    // `concurrentPerform` returned.
    private let slots: UnsafeMutableBufferPointer<Result<YAMLNode?, ConfigError>>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: .success(nil))
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ index: Int, _ value: Result<YAMLNode?, ConfigError>) { slots[index] = value }

    func get(_ index: Int) -> Result<YAMLNode?, ConfigError> { slots[index] }
}
