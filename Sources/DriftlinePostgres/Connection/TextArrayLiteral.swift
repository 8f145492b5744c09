import Foundation

/// A PostgreSQL `text[]` literal of `values` (`{"a","b\"c"}`), each element double-quoted with backslashes and
/// quotes escaped, for a parameter cast to `text[]`. For identifiers and configuration (customer ids, endpoint
/// names, header names, numbers), sent as parameters like any value.
package func textArrayLiteral(_ values: [String]) -> String {
    "{"
        + values.map {
            "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        .joined(separator: ",") + "}"
}
