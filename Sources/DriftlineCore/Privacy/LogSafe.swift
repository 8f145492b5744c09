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

/// Text that may be logged, vouched for by its initializer's label, which says where it comes from.
///
/// Every call site is a decision that `scripts/lint-vouchers.sh` (`make lint`) holds to a reviewed list:
/// nothing read from an upload's bytes — a value, a header name, an error message PostgreSQL wrote — may
/// ever be wrapped.
package struct SafeText: LogSafe, Hashable {
    package let description: String

    /// Text made by the program itself: stage and operation names, SQLSTATEs, type names, formatted
    /// dates and counts, status words.
    package init(code text: String) { description = text }

    /// Text from configuration files the operator writes: pipeline names, rule ids and messages, the
    /// format's column names and a customer profile's header names.
    package init(configuration text: String) { description = text }

    /// A folder or file name, or a path, of the inbox, archive or rejected layout. Customers' transfer tools
    /// choose file names: they are logged as the operator's handle on a file (control characters are
    /// escaped by the log format), never a file's contents.
    package init(inboxName text: String) { description = text }
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
