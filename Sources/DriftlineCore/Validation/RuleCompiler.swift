import Foundation

/// Parses rules files (YAML, read into `YAMLNode` trees for line numbers) into the tables of a ``RuleBook``.
///
/// Every problem throws ``ConfigError`` naming the file, the line and the rule id; nothing is half-loaded.
struct RuleCompiler {
    let groups: CPTGroups
    let asOf: Int32
    /// Where `lookup` list paths are resolved (the rules directory).
    let directory: URL?
    /// Lists given in memory (tests), by the path a rule names; checked before `directory`.
    let inlineLists: [String: [String]]

    var infos: [RuleInfo] = []
    var checks: [RuleCheck] = []
    var scopes: [RuleIndex.Scope] = []
    var tables: [ByteTable] = []
    var patterns: [RulePattern] = []
    var comparisons: [RuleComparison] = []
    var conditions: [RuleCondition] = []
    var thenChecks: [RuleCheck] = []
    var amountBounds: [AmountBounds] = []
    private var amountBoundsIndex: [AmountBounds: Int32] = [:]
    private var seenIDs: [String: (file: String, line: Int)] = [:]
    private var listTables: [String: Int32] = [:]
    // Rules often share a pattern or value set: one copy each keeps the per-row working set small.
    private var patternIndex: [String: Int32] = [:]
    private var valueTableIndex: [[String]: Int32] = [:]

    init(groups: CPTGroups, asOf: Int32, directory: URL?, inlineLists: [String: [String]]) {
        self.groups = groups
        self.asOf = asOf
        self.directory = directory
        self.inlineLists = inlineLists
    }

    /// The keys each kind accepts besides `id`, `kind`, `severity`, `message`, `when`, `description`.
    private static let kindKeys: [String: Set<String>] = [
        "required": ["field"],
        "one_of": ["field", "values"],
        "pattern": ["field", "pattern"],
        "max_length": ["field", "max"],
        "range": ["field", "min", "max"],
        "compare": ["expr", "blame"],
        "when_then": ["if", "then"],
        "lookup": ["field", "list"],
        "npi": ["field"],
        "no_phi": ["field"],
    ]
    private static let commonKeys: Set<String> = ["id", "kind", "severity", "message", "when", "description"]

    // MARK: - Files

    mutating func add(yaml: String, file: String) throws(ConfigError) {
        try add(parsed: Self.parse(yaml: yaml, file: file), file: file)
    }

    /// Parses one rules file into YAML nodes (thread-safe: files can be parsed in parallel).
    static func parse(yaml: String, file: String) -> Result<YAMLNode?, ConfigError> {
        do { return .success(try YAMLNode.parseConfig(yaml, file: file)) } catch { return .failure(error) }
    }

    /// Compiles a parsed rules file (in file order: ids, tables and errors depend on it).
    mutating func add(parsed: Result<YAMLNode?, ConfigError>, file: String) throws(ConfigError) {
        guard let root = try parsed.get() else { return }  // empty file
        let list: YAMLNode
        switch root {
        case .sequence:
            list = root
        case .mapping(let mapping):
            for (key, _) in mapping where key.string != "rules" {
                throw ConfigError(
                    file: file,
                    line: key.mark.line,
                    message: SafeMessage(trusted: "unknown top-level key '\(key.string ?? "?")' (expected 'rules')")
                )
            }
            guard let rules = root["rules"] else {
                throw ConfigError(file: file, line: root.mark.line, message: "missing top-level 'rules' list")
            }
            if rules.isNull { return }
            list = rules
        default:
            throw ConfigError(file: file, line: root.mark.line, message: "expected a 'rules:' list")
        }
        guard case .sequence(let sequence) = list else {
            throw ConfigError(file: file, line: list.mark.line, message: "'rules' must be a list of rules")
        }
        for node in sequence {
            try addRule(node, file: file)
        }
    }

    // MARK: - One rule

    private struct Context {
        var file: String
        var line: Int
        var id: String?

        func error(_ text: String, at node: YAMLNode? = nil) -> ConfigError {
            ConfigError(file: file, line: node?.mark.line ?? line, ruleID: id, message: SafeMessage(trusted: text))
        }
    }

    private mutating func addRule(_ node: YAMLNode, file: String) throws(ConfigError) {
        var context = Context(file: file, line: node.mark.line, id: nil)
        guard case .mapping(let mapping) = node else { throw context.error("a rule must be a mapping") }
        // A rule has a handful of keys: the mapping is searched in place (the reader refused repeated keys).
        let keys = mapping
        for (key, _) in mapping where key.string == nil {
            throw context.error("rule keys must be strings", at: key)
        }
        guard let idNode = keys["id"], let id = scalar(idNode), !id.isEmpty else {
            throw context.error("missing 'id'")
        }
        context.id = id
        let idBytesAllowed = id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                true
            default: false
            }
        }
        guard idBytesAllowed else {
            throw context.error("rule id must be letters, digits, '-', '_' or '.'", at: idNode)
        }
        if let previous = seenIDs[id] {
            throw context.error("duplicate rule id (first defined at \(previous.file):\(previous.line))", at: idNode)
        }
        guard let kindNode = keys["kind"], let kind = scalar(kindNode) else { throw context.error("missing 'kind'") }
        guard let allowed = Self.kindKeys[kind] else {
            let known = Self.kindKeys.keys.sorted().joined(separator: ", ")
            throw context.error("unknown kind '\(kind)' (known: \(known))", at: kindNode)
        }
        for (key, value) in keys {
            let name = key.string ?? ""
            if !Self.commonKeys.contains(name) && !allowed.contains(name) {
                throw context.error("unknown key '\(name)' for kind '\(kind)'", at: value)
            }
        }
        guard let severityNode = keys["severity"], let severityText = scalar(severityNode) else {
            throw context.error("missing 'severity' (error, warning or info)")
        }
        guard let severity = Severity(rawValue: severityText.lowercased()) else {
            throw context.error("unknown severity '\(severityText)' (error, warning or info)", at: severityNode)
        }
        guard let messageNode = keys["message"], let message = scalar(messageNode), !message.isEmpty else {
            throw context.error("missing 'message'")
        }

        func required(_ key: String) throws(ConfigError) -> YAMLNode {
            guard let node = keys[key] else { throw context.error("missing '\(key)' for kind '\(kind)'") }
            return node
        }
        func field(_ key: String = "field") throws(ConfigError) -> RuleField {
            try self.field(try required(key), context)
        }

        let check: RuleCheck
        var column: ClaimColumn?
        switch kind {
        case "required":
            let field = try field()
            check = .required(field)
            column = field.column
        case "one_of":
            let field = try field()
            let valuesNode = try required("values")
            let values = try strings(valuesNode, context)
            guard !values.isEmpty else { throw context.error("'values' must not be empty", at: valuesNode) }
            check = .member(field, table: addValueTable(values))
            column = field.column
        case "pattern":
            let field = try field()
            check = .pattern(field, pattern: try pattern(try required("pattern"), context))
            column = field.column
        case "max_length":
            let field = try field()
            let maxNode = try required("max")
            guard let text = scalar(maxNode), let max = Int32(text), max >= 0 else {
                throw context.error("'max' must be a non-negative integer", at: maxNode)
            }
            check = .maxLength(field, max: max)
            column = field.column
        case "range":
            let fieldNode = try required("field")
            let field = try self.field(fieldNode, context)
            check = try range(field, fieldNode: fieldNode, min: keys["min"], max: keys["max"], context)
            column = field.column
        case "compare":
            let start = Int32(comparisons.count)
            let blame = try keys["blame"].map { node throws(ConfigError) in try self.field(node, context).column }
            let links = try comparisonChain(try required("expr"), blame: blame, context)
            comparisons.append(contentsOf: links)
            check = .compare(start: start, count: Int32(links.count))
            column = blame ?? links.first?.blame
        case "when_then":
            let start = Int32(conditions.count)
            let clauses = try whenConditions(try required("if"), context)
            conditions.append(contentsOf: clauses)
            let (then, thenField) = try thenCheck(try required("then"), context)
            thenChecks.append(then)
            check = .whenThen(start: start, count: Int32(clauses.count), then: Int32(thenChecks.count - 1))
            column = thenField.column
        case "lookup":
            let field = try field()
            check = .member(field, table: try lookupTable(try required("list"), context))
            column = field.column
        case "npi":
            let field =
                try keys["field"].map { node throws(ConfigError) in try self.field(node, context) }
                ?? .column(.providerNPI)
            check = .npi(field)
            column = field.column
        case "no_phi":
            let field = try field()
            check = .noPHI(field)
            column = field.column
        default:
            throw context.error("unknown kind '\(kind)'", at: kindNode)
        }

        let scope = try keys["when"].map { node throws(ConfigError) in try self.scope(node, context) } ?? .all
        seenIDs[id] = (file, context.line)
        infos.append(
            RuleInfo(
                id: id,
                kind: kind,
                severity: severity,
                message: SafeMessage(trusted: message),
                claimColumn: column,
                file: file,
                line: context.line
            )
        )
        checks.append(check)
        scopes.append(scope)
    }

    // MARK: - Values

    private func scalar(_ node: YAMLNode) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    /// A scalar or a list of scalars.
    private func strings(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> [String] {
        switch node {
        case .scalar(let scalar): return [scalar.string]
        case .sequence(let sequence):
            var values: [String] = []
            for item in sequence {
                guard let text = scalar(item) else { throw context.error("expected a list of values", at: item) }
                values.append(text)
            }
            return values
        default: throw context.error("expected a value or a list of values", at: node)
        }
    }

    private func field(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> RuleField {
        guard let name = scalar(node) else { throw context.error("'field' must be a field name", at: node) }
        guard let field = RuleField(name: name) else {
            let known = (ClaimColumn.allCases.map(\.name) + ["cpt_group"]).joined(separator: ", ")
            throw context.error("unknown field '\(name)' (known: \(known))", at: node)
        }
        return field
    }

    /// A case-insensitive value set, shared with earlier rules naming the same values.
    private mutating func addValueTable(_ values: [String]) -> Int32 {
        let key = Set(values.map { $0.lowercased() }).sorted()
        if let index = valueTableIndex[key] { return index }
        tables.append(ByteTable(keys: key))
        valueTableIndex[key] = Int32(tables.count - 1)
        return Int32(tables.count - 1)
    }

    private mutating func pattern(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> Int32 {
        guard let text = scalar(node), !text.isEmpty else {
            throw context.error("'pattern' must be a string", at: node)
        }
        if let index = patternIndex[text] { return index }
        guard let pattern = RulePattern(text) else {
            throw context.error("bad regular expression '\(text)'", at: node)
        }
        patterns.append(pattern)
        patternIndex[text] = Int32(patterns.count - 1)
        return Int32(patterns.count - 1)
    }

    private mutating func lookupTable(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> Int32 {
        guard let path = scalar(node), !path.isEmpty else {
            throw context.error("'list' must be a file path", at: node)
        }
        if let table = listTables[path] { return table }
        var lines: [String]
        if let inline = inlineLists[path] {
            lines = inline
        } else {
            guard let directory, !path.hasPrefix("/") else {
                throw context.error(
                    "lookup list '\(path)' not found (paths are relative to the rules directory)",
                    at: node
                )
            }
            let url = directory.appendingPathComponent(path)
            do {
                lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: .newlines)
            } catch {
                throw context.error("lookup list '\(path)' not found or unreadable", at: node)
            }
        }
        lines = lines.compactMap { line in
            let value = (line.firstIndex(of: "#").map { line[..<$0] } ?? line[...]).trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        guard !lines.isEmpty else { throw context.error("lookup list '\(path)' is empty", at: node) }
        let table = addValueTable(lines)
        listTables[path] = table
        return table
    }

    // MARK: - range

    private mutating func range(
        _ field: RuleField,
        fieldNode: YAMLNode,
        min: YAMLNode?,
        max: YAMLNode?,
        _ context: Context
    ) throws(ConfigError) -> RuleCheck {
        guard min != nil || max != nil else { throw context.error("a range needs 'min', 'max' or both") }
        guard case .column(let column) = field else {
            throw context.error("a range needs a date or amount field", at: fieldNode)
        }
        if let slot = column.dateSlot {
            let low = try min.map { node throws(ConfigError) in try date(node, context) } ?? .min
            let high = try max.map { node throws(ConfigError) in try date(node, context) } ?? .max
            guard low <= high else {
                throw context.error(
                    "inverted range: min \(CivilDate.format(low)) is after max \(CivilDate.format(high))",
                    at: min
                )
            }
            return .dateRange(slot: Int8(slot), min: low, max: high)
        }
        if let slot = column.amountSlot {
            let low = try min.map { node throws(ConfigError) in try amount(node, context) } ?? .min
            let high = try max.map { node throws(ConfigError) in try amount(node, context) } ?? .max
            guard low <= high else { throw context.error("inverted range: min is above max", at: min) }
            let bounds = AmountBounds(min: low, max: high)
            if let index = amountBoundsIndex[bounds] { return .amountRange(slot: Int8(slot), bounds: index) }
            amountBounds.append(bounds)
            amountBoundsIndex[bounds] = Int32(amountBounds.count - 1)
            return .amountRange(slot: Int8(slot), bounds: Int32(amountBounds.count - 1))
        }
        throw context.error("a range needs a date or amount field, not '\(column.name)'", at: fieldNode)
    }

    private func amount(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> Int64 {
        guard let text = scalar(node), case .cents(let cents) = Amount.parse(text) else {
            throw context.error("bad amount bound (a non-negative decimal such as 100000.00)", at: node)
        }
        return cents
    }

    /// `YYYY-MM-DD`, `today`, or `today ± N day(s)|week(s)|month(s)|year(s)`.
    private func date(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> Int32 {
        let bad = context.error("bad date bound (YYYY-MM-DD, today, or today - N days|weeks|months|years)", at: node)
        guard let text = scalar(node)?.trimmingCharacters(in: .whitespaces) else { throw bad }
        if let days = CivilDate.parse(text) { return days }
        let tokens = Self.dateTokens(text.lowercased())
        guard tokens.first == "today" else { throw bad }
        if tokens.count == 1 { return asOf }
        guard tokens.count == 4, tokens[1] == "-" || tokens[1] == "+", let amount = Int32(tokens[2]), amount >= 0,
            amount <= 100_000
        else { throw bad }
        let signed = tokens[1] == "-" ? -amount : amount
        switch tokens[3] {
        case "day", "days": return asOf + signed
        case "week", "weeks": return asOf + signed * 7
        case "month", "months": return Self.addMonths(asOf, signed)
        case "year", "years": return Self.addMonths(asOf, signed * 12)
        default: throw bad
        }
    }

    /// Splits `today-3years` or `today - 3 years` into `today`, `-`, `3`, `years`.
    private static func dateTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var currentIsDigit = false
        func flush() {
            if !current.isEmpty { tokens.append(current) }
            current = ""
        }
        for character in text {
            if character == " " || character == "\t" {
                flush()
            } else if character == "-" || character == "+" {
                flush()
                tokens.append(String(character))
            } else {
                let isDigit = character.isASCII && character.isNumber
                if !current.isEmpty, isDigit != currentIsDigit { flush() }
                current.append(character)
                currentIsDigit = isDigit
            }
        }
        flush()
        return tokens
    }

    /// Calendar month arithmetic; the day is clamped (2024-02-29 − 1 year = 2023-02-28).
    static func addMonths(_ days: Int32, _ months: Int32) -> Int32 {
        let (year, month, day) = CivilDate.civil(days)
        let total = year * 12 + (month - 1) + months
        let newYear = total >= 0 ? total / 12 : (total - 11) / 12
        let newMonth = total - newYear * 12 + 1
        let newDay = Swift.min(day, CivilDate.daysInMonth(year: newYear, month: newMonth))
        return CivilDate.days(year: newYear, month: newMonth, day: newDay)
    }

    // MARK: - compare

    /// `a <= b <= c`: fields and operators; every field a date, or every field an amount.
    private func comparisonChain(
        _ node: YAMLNode,
        blame: ClaimColumn?,
        _ context: Context
    ) throws(ConfigError) -> [RuleComparison] {
        guard let text = scalar(node) else { throw context.error("'expr' must be a string", at: node) }
        // Tokens: field names and runs of operator characters (the grammar is ASCII; bytes are enough).
        var tokens: [String] = []
        var current: [UInt8] = []
        var currentIsOperator = false
        func flush() {
            if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)) }
            current.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            let isSpace = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
            let isOperator =
                byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "=")
                || byte == UInt8(ascii: "!")
            if isSpace || (!current.isEmpty && isOperator != currentIsOperator) { flush() }
            if !isSpace {
                current.append(byte)
                currentIsOperator = isOperator
            }
        }
        flush()
        guard tokens.count >= 3, tokens.count % 2 == 1 else {
            throw context.error("'expr' must look like 'field <= field [<= field …]'", at: node)
        }
        var columns: [ClaimColumn] = []
        for index in stride(from: 0, to: tokens.count, by: 2) {
            guard let field = RuleField(name: tokens[index]) else {
                throw context.error("unknown field '\(tokens[index])' in 'expr'", at: node)
            }
            guard case .column(let column) = field, column.dateSlot != nil || column.amountSlot != nil else {
                throw context.error("compare needs date or amount fields, not '\(tokens[index])'", at: node)
            }
            columns.append(column)
        }
        let isDate = columns[0].dateSlot != nil
        guard columns.allSatisfy({ ($0.dateSlot != nil) == isDate }) else {
            throw context.error("compare needs all date fields or all amount fields", at: node)
        }
        var links: [RuleComparison] = []
        for index in 0..<(columns.count - 1) {
            let symbol = tokens[2 * index + 1]
            guard let op = RuleComparison.Operator(symbol: symbol) else {
                throw context.error("unknown operator '\(symbol)' (use <, <=, =, !=, >=, >)", at: node)
            }
            let left = columns[index]
            let right = columns[index + 1]
            links.append(
                RuleComparison(
                    left: Int8(isDate ? left.dateSlot! : left.amountSlot!),
                    right: Int8(isDate ? right.dateSlot! : right.amountSlot!),
                    isDate: isDate,
                    op: op,
                    blame: blame ?? right
                )
            )
        }
        return links
    }

    // MARK: - when_then

    /// `if: {outcome: denied}`: every listed field must hold one of its values ('' = empty).
    private mutating func whenConditions(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> [RuleCondition] {
        guard case .mapping(let mapping) = node, !mapping.isEmpty else {
            throw context.error("'if' must map fields to values, e.g. {outcome: denied}", at: node)
        }
        var clauses: [RuleCondition] = []
        for (key, value) in mapping {
            let field = try self.field(key, context)
            let values = try strings(value, context)
            let nonEmpty = values.filter { !$0.isEmpty }
            clauses.append(
                RuleCondition(
                    field: field,
                    table: nonEmpty.isEmpty ? -1 : addValueTable(nonEmpty),
                    matchesEmpty: nonEmpty.count != values.count
                )
            )
        }
        return clauses
    }

    /// `then: {field: X, required: true | empty: true | one_of: […] | pattern: '…' | max_length: N | min/max: …}`.
    private mutating func thenCheck(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> (RuleCheck, RuleField)
    {
        guard case .mapping(let mapping) = node else {
            throw context.error("'then' must be a mapping such as {field: denial_reason, required: true}", at: node)
        }
        var field: RuleField?
        var check: RuleCheck?
        var pending: [(String, YAMLNode)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw context.error("'then' keys must be strings", at: key) }
            if name == "field" { field = try self.field(value, context) } else { pending.append((name, value)) }
        }
        guard let field else { throw context.error("'then' needs a 'field'", at: node) }
        let bounds = pending.filter { $0.0 == "min" || $0.0 == "max" }
        if !bounds.isEmpty && bounds.count == pending.count {
            // A range: like the `range` kind, an empty value passes (a pending claim without paid_amount).
            let check = try range(
                field,
                fieldNode: node,
                min: bounds.first { $0.0 == "min" }?.1,
                max: bounds.first { $0.0 == "max" }?.1,
                context
            )
            return (check, field)
        }
        guard pending.count == 1, let (name, value) = pending.first else {
            throw context.error(
                "'then' needs exactly one of required, empty, one_of, pattern, max_length, or min/max",
                at: node
            )
        }
        switch name {
        case "required", "empty":
            guard scalar(value)?.lowercased() == "true" else {
                throw context.error("'\(name)' takes 'true'", at: value)
            }
            check = name == "required" ? .required(field) : .empty(field)
        case "one_of":
            let values = try strings(value, context)
            guard !values.isEmpty else { throw context.error("'one_of' must not be empty", at: value) }
            check = .member(field, table: addValueTable(values))
        case "pattern":
            check = .pattern(field, pattern: try pattern(value, context))
        case "max_length":
            guard let text = scalar(value), let max = Int32(text), max >= 0 else {
                throw context.error("'max_length' must be a non-negative integer", at: value)
            }
            check = .maxLength(field, max: max)
        default:
            throw context.error(
                "unknown key '\(name)' in 'then' (required, empty, one_of, pattern, max_length, min, max)",
                at: value
            )
        }
        return (check!, field)
    }

    // MARK: - Scope

    /// `when: {payer: […], cpt: […], cpt_group: […], customer: […]}`; dimensions intersect.
    private func scope(_ node: YAMLNode, _ context: Context) throws(ConfigError) -> RuleIndex.Scope {
        guard case .mapping(let mapping) = node else {
            throw context.error("'when' must be a mapping of payer, cpt, cpt_group, customer", at: node)
        }
        var scope = RuleIndex.Scope()
        var cptRanges: [(lower: Int32, upper: Int32)]?
        var groupRanges: [(lower: Int32, upper: Int32)]?
        for (key, value) in mapping {
            let values = try strings(value, context)
            guard !values.isEmpty else { throw context.error("an empty scope list matches nothing", at: value) }
            switch key.string {
            case "payer": scope.payers = values
            case "customer": scope.customers = values
            case "cpt":
                var ranges: [(lower: Int32, upper: Int32)] = []
                ranges.reserveCapacity(values.count)
                for text in values {
                    guard let (lower, upper) = CPTGroups.parseRange(text) else {
                        throw context.error("bad CPT code or range '\(text)'", at: value)
                    }
                    guard lower <= upper else { throw context.error("inverted CPT range '\(text)'", at: value) }
                    ranges.append((lower, upper))
                }
                cptRanges = ranges
            case "cpt_group":
                var ranges: [(lower: Int32, upper: Int32)] = []
                for name in values {
                    guard let group = groups.index(ofName: name) else {
                        let known = groups.names.joined(separator: ", ")
                        throw context.error("unknown cpt_group '\(name)' (known: \(known))", at: value)
                    }
                    ranges += groups.ranges.filter { $0.group == group }.map { ($0.lower, $0.upper) }
                }
                groupRanges = ranges
            default:
                throw context.error(
                    "unknown scope key '\(key.string ?? "?")' (payer, cpt, cpt_group, customer)",
                    at: key
                )
            }
        }
        switch (cptRanges, groupRanges) {
        case (let cpt?, let group?): scope.cptRanges = Self.intersect(cpt, group)
        case (let cpt?, nil): scope.cptRanges = cpt
        case (nil, let group?): scope.cptRanges = group
        case (nil, nil): break
        }
        return scope
    }

    private static func intersect(
        _ lhs: [(lower: Int32, upper: Int32)],
        _ rhs: [(lower: Int32, upper: Int32)]
    ) -> [(lower: Int32, upper: Int32)] {
        var result: [(lower: Int32, upper: Int32)] = []
        for a in lhs {
            for b in rhs {
                let lower = max(a.lower, b.lower)
                let upper = min(a.upper, b.upper)
                if lower <= upper { result.append((lower, upper)) }
            }
        }
        return result
    }
}
