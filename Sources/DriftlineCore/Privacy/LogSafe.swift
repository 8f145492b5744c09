/// A value that may appear in logs, errors, metrics and alerts: identifiers, positions, codes, counts.
///
/// Upload field values are PHI and never conform. Conform only types whose every possible
/// value comes from code, configuration or the file system layout, never from a row.
package protocol LogSafe: Sendable, CustomStringConvertible {}

extension Int: LogSafe {}
extension Int64: LogSafe {}
extension Int32: LogSafe {}
extension UInt64: LogSafe {}
extension Double: LogSafe {}
extension Bool: LogSafe {}

/// Text built only from literals and ``LogSafe`` values; interpolating a plain `String` does not compile.
package struct SafeMessage: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    package let description: String

    package init(stringLiteral value: StaticString) { description = value.description }
    package init(stringInterpolation: StringInterpolation) { description = stringInterpolation.text }

    /// Text known to come from code or configuration (a rule's message, a file path), never from a row.
    package init(trusted text: String) { description = text }

    package struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        package init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }
        package mutating func appendLiteral(_ literal: StaticString) { text += literal.description }
        package mutating func appendInterpolation(_ value: some LogSafe) { text += value.description }
        package mutating func appendInterpolation(_ value: SafeMessage) { text += value.description }
    }
}

extension SafeMessage: LogSafe {}

/// A name or path from configuration or the inbox layout (file names, column headers the format knows).
package struct SafeText: LogSafe, Hashable {
    package let description: String
    /// - Important: only for text that comes from code, configuration or file names, never from a row.
    package init(_ trusted: String) { description = trusted }
}

/// An upload field value; prints as `<redacted>` in `print`, `dump` and `String(reflecting:)`.
package struct Sensitive<Value: Sendable>: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The raw value: only for validation rules, COPY and reject reports kept beside the upload.
    package let unsafeValue: Value
    package init(_ value: Value) { unsafeValue = value }
    package var description: String { "<redacted>" }
    package var debugDescription: String { "<redacted>" }
    package var customMirror: Mirror { Mirror(self, children: [:]) }
}
