/// Reading configuration values from ``YAMLNode`` trees, every error naming the file and the line.
extension YAMLNode {
    /// Parses a configuration file's text; `nil` when it holds no document.
    package static func parseConfig(_ text: String, file: String) throws(ConfigError) -> YAMLNode? {
        do { return try parse(text) } catch {
            throw ConfigError(
                file: file,
                line: error.line,
                message: SafeMessage(trusted: "malformed YAML: \(error.problem)")
            )
        }
    }

    /// The mapping this node must be; `what` names it in the error ("a pipeline definition").
    package func configMapping(_ what: String, file: String) throws(ConfigError) -> Mapping {
        guard case .mapping(let mapping) = self else {
            throw ConfigError(file: file, line: mark.line, message: SafeMessage(trusted: "\(what) must be a mapping"))
        }
        return mapping
    }

    /// A scalar's text; `key` names the value in the error.
    package func configString(_ key: String, file: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = self, !scalar.isNull else {
            throw ConfigError(file: file, line: mark.line, message: SafeMessage(trusted: "'\(key)' must be a value"))
        }
        return scalar.string
    }

    /// A scalar's text, or `nil` for a null (`~`, `null`, nothing).
    package func configOptionalString(_ key: String, file: String) throws(ConfigError) -> String? {
        isNull ? nil : try configString(key, file: file)
    }

    /// A decimal number.
    package func configNumber(_ key: String, file: String) throws(ConfigError) -> Double {
        guard let number = Double(try configString(key, file: file)), number.isFinite else {
            throw ConfigError(file: file, line: mark.line, message: SafeMessage(trusted: "'\(key)' must be a number"))
        }
        return number
    }

    /// A list of scalars (`[a, b]` or one item per line).
    package func configStrings(_ key: String, file: String) throws(ConfigError) -> [String] {
        guard case .sequence(let sequence) = self else {
            throw ConfigError(file: file, line: mark.line, message: SafeMessage(trusted: "'\(key)' must be a list"))
        }
        var strings: [String] = []
        for item in sequence { strings.append(try item.configString(key, file: file)) }
        return strings
    }
}

extension YAMLNode.Mapping {
    /// Throws for the first key not in `known` (a typo in a configuration file is an error, not a default).
    package func checkKeys(_ known: [String], in what: String, file: String) throws(ConfigError) {
        for (key, _) in self where !known.contains(key.string ?? "") {
            throw ConfigError(
                file: file,
                line: key.mark.line,
                message: SafeMessage(
                    trusted: "unknown key '\(key.string ?? "?")' in \(what) (known: \(known.joined(separator: ", ")))"
                )
            )
        }
    }

    /// The value of a key that must be present.
    package func required(_ key: String, in what: String, file: String) throws(ConfigError) -> YAMLNode {
        guard let value = self[key] else {
            throw ConfigError(file: file, line: mark.line, message: SafeMessage(trusted: "\(what) needs '\(key)'"))
        }
        return value
    }
}
