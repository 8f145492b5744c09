import CLibYAML

/// A YAML document as a tree of strings, every node knowing where it was written.
///
/// Configuration files (pipelines, rules, CPT groups) are read with libyaml's event parser into this tree:
/// scalars stay strings (no implicit typing: `0001F`, `no` and `1e3` are what they look like), anchors and
/// aliases are resolved, and a mapping that repeats a key is an error naming the line. Loading 1,000 rules
/// is dominated by YAML parsing, so the reader builds nothing else (no tags, no styles, no `Foundation`).
package enum YAMLNode: Sendable {
    case scalar(Scalar)
    case sequence(Sequence)
    case mapping(Mapping)

    /// A 1-based position in the file.
    package struct Mark: Sendable, Equatable {
        package var line: Int
        package var column: Int
    }

    package struct Scalar: Sendable {
        package var string: String
        package var mark: Mark
        /// Written in quotes (`"~"` is the string `~`; a plain `~` or nothing is null).
        package var isQuoted: Bool

        /// A plain `~`, `null` or empty value.
        package var isNull: Bool {
            !isQuoted && (string.isEmpty || string == "~" || string == "null" || string == "Null" || string == "NULL")
        }
    }

    package struct Sequence: Sendable, RandomAccessCollection {
        package var nodes: [YAMLNode]
        package var mark: Mark

        package var startIndex: Int { nodes.startIndex }
        package var endIndex: Int { nodes.endIndex }
        package subscript(position: Int) -> YAMLNode { nodes[position] }
    }

    package struct Mapping: Sendable, RandomAccessCollection {
        package var pairs: [(key: YAMLNode, value: YAMLNode)]
        package var mark: Mark

        package var startIndex: Int { pairs.startIndex }
        package var endIndex: Int { pairs.endIndex }
        package subscript(position: Int) -> (key: YAMLNode, value: YAMLNode) { pairs[position] }

        /// The value of the scalar key `key` (keys are unique: the reader refuses repeats).
        package subscript(key: String) -> YAMLNode? {
            pairs.first { $0.key.string == key }?.value
        }
    }

    package var mark: Mark {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .sequence(let sequence): sequence.mark
        case .mapping(let mapping): mapping.mark
        }
    }

    /// The text of a scalar; `nil` for a sequence or mapping.
    package var string: String? {
        guard case .scalar(let scalar) = self else { return nil }
        return scalar.string
    }

    /// A plain `~`, `null` or empty scalar.
    package var isNull: Bool {
        guard case .scalar(let scalar) = self else { return false }
        return scalar.isNull
    }

    /// The value of `key` when this is a mapping.
    package subscript(key: String) -> YAMLNode? {
        guard case .mapping(let mapping) = self else { return nil }
        return mapping[key]
    }

    /// A short name of the node's shape, for error messages.
    package var kindName: String {
        switch self {
        case .scalar: "a value"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// A YAML syntax error: the 1-based line and column and libyaml's description of the problem.
package struct YAMLSyntaxError: Error, Sendable {
    package var line: Int
    package var column: Int
    package var problem: String
}

extension YAMLNode {
    /// Parses one YAML document; `nil` when the text holds none (empty or only comments).
    ///
    /// - Throws: ``YAMLSyntaxError`` for malformed YAML, a second document, an undefined alias or a
    ///   mapping that repeats a key.
    package static func parse(_ text: String) throws(YAMLSyntaxError) -> YAMLNode? {
        var text = text
        let result = text.withUTF8 { bytes -> Result<YAMLNode?, YAMLSyntaxError> in
            var reader = YAMLReader()
            defer { reader.close() }
            do throws(YAMLSyntaxError) { return .success(try reader.read(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// Builds ``YAMLNode`` trees from libyaml events.
private struct YAMLReader: ~Copyable {
    private var parser = yaml_parser_t()
    private var anchors: [String: YAMLNode] = [:]
    private var open = false
    private var depth = 0
    /// Configuration is a few levels deep; a deeper document is refused before it can exhaust the stack.
    private static let maxDepth = 64

    mutating func close() {
        if open { yaml_parser_delete(&parser) }
        open = false
    }

    mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(YAMLSyntaxError) -> YAMLNode? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLSyntaxError(line: 1, column: 1, problem: "cannot start the YAML parser")
        }
        open = true
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        // libyaml reads from the buffer only while `bytes` is alive: within this call.
        yaml_parser_set_input_string(&parser, base, bytes.count)
        var event = try next()  // stream start
        yaml_event_delete(&event)
        event = try next()
        if event.type == YAML_STREAM_END_EVENT {
            yaml_event_delete(&event)
            return nil
        }
        yaml_event_delete(&event)  // document start
        let root = try node(from: try next())
        event = try next()  // document end
        yaml_event_delete(&event)
        event = try next()
        defer { yaml_event_delete(&event) }
        guard event.type == YAML_STREAM_END_EVENT else {
            throw YAMLSyntaxError(mark(event.start_mark), "expected one YAML document, found another")
        }
        return root
    }

    private mutating func next() throws(YAMLSyntaxError) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
            let context = parser.context.map { String(cString: $0) }
            throw YAMLSyntaxError(
                mark(parser.problem_mark),
                context.map { "\(problem) (\($0))" } ?? problem
            )
        }
        return event
    }

    private func mark(_ mark: yaml_mark_t) -> YAMLNode.Mark {
        YAMLNode.Mark(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    /// The node that starts with `event` (consumed), reading the events of its children.
    private mutating func node(from first: yaml_event_t) throws(YAMLSyntaxError) -> YAMLNode {
        var event = first
        defer { yaml_event_delete(&event) }
        let start = mark(event.start_mark)
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else {
            throw YAMLSyntaxError(start, "nested deeper than \(Self.maxDepth) levels")
        }
        let result: YAMLNode
        let anchor: UnsafeMutablePointer<yaml_char_t>?
        switch event.type {
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            result = .scalar(.init(string: text, mark: start, isQuoted: scalar.style != YAML_PLAIN_SCALAR_STYLE))
            anchor = scalar.anchor
        case YAML_SEQUENCE_START_EVENT:
            anchor = event.data.sequence_start.anchor
            var nodes: [YAMLNode] = []
            while true {
                let item = try next()
                if item.type == YAML_SEQUENCE_END_EVENT {
                    var end = item
                    yaml_event_delete(&end)
                    break
                }
                nodes.append(try node(from: item))
            }
            result = .sequence(.init(nodes: nodes, mark: start))
        case YAML_MAPPING_START_EVENT:
            anchor = event.data.mapping_start.anchor
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var names = Set<String>()  // only for long mappings; short ones are searched
            while true {
                let item = try next()
                if item.type == YAML_MAPPING_END_EVENT {
                    var end = item
                    yaml_event_delete(&end)
                    break
                }
                let key = try node(from: item)
                let value = try node(from: try next())
                if let name = key.string {
                    let repeated: Bool
                    if pairs.count < 16 {
                        repeated = pairs.contains { $0.key.string == name }
                    } else {
                        if names.isEmpty { names = Set(pairs.compactMap { $0.key.string }) }
                        repeated = !names.insert(name).inserted
                    }
                    if repeated { throw YAMLSyntaxError(key.mark, "duplicate key '\(name)'") }
                }
                pairs.append((key, value))
            }
            result = .mapping(.init(pairs: pairs, mark: start))
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let target = anchors[name] else { throw YAMLSyntaxError(start, "undefined alias '*\(name)'") }
            return target
        default:
            throw YAMLSyntaxError(start, "unexpected YAML event")
        }
        if let anchor { anchors[String(cString: anchor)] = result }
        return result
    }
}

extension YAMLSyntaxError {
    fileprivate init(_ mark: YAMLNode.Mark, _ problem: String) {
        self.init(line: mark.line, column: mark.column, problem: problem)
    }
}
