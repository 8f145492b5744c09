import Foundation

/// How one customer's exports differ from the upload format: header names, delimiter, date and amount
/// styles, text encoding. Read from `pipelines/profiles/<customer_id>.yaml`, strictly; a customer without
/// a profile uses the format as documented (``standard``).
///
/// ```yaml
/// encoding: windows-1252      # utf-8 (default) | windows-1252 | iso-8859-1; transcoded while streaming
/// delimiter: "|"              # "," (default), "|", ";" or "\t"
/// date_format: MM/DD/YYYY     # YYYY-MM-DD (default) | MM/DD/YYYY | M/D/YYYY | DD.MM.YYYY
/// amounts: us                 # plain (default) | us: "$1,234.50" accepted, "(12.00)" rejected as negative
/// columns:                    # format column: the header this customer uses
///   claim_id: Claim Number
/// ```
package struct CustomerProfile: Sendable, Equatable {
    package var encoding: TextEncoding = .utf8
    package var delimiter: UInt8 = 0x2C
    package var dateFormat: DateFormat = .iso
    package var amounts: AmountStyle = .plain
    /// The customer's header name for a format column (configuration: safe to name in errors).
    package var columns: [ClaimColumn: String] = [:]
    /// Where the profile was read from; `nil` for the standard format.
    package var file: String?

    package init() {}

    /// The upload format as documented: UTF-8, commas, ISO dates, plain amounts, the format's header names.
    package static let standard = CustomerProfile()

    /// The folder of profiles beside a pipeline file (`pipelines/profiles/`).
    package static func directory(besidePipelineFile file: String) -> String {
        ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent("profiles")
    }

    /// File names a customer folder may hold uploads under: `.csv`, and for a profile with another delimiter
    /// the usual names of that style (`.txt`, `.tsv` for tabs, `.psv` for pipes); each also `.zst`-compressed.
    package var uploadExtensions: [String] {
        var plain = [".csv"]
        switch delimiter {
        case 0x09: plain += [".tsv", ".txt"]
        case 0x7C: plain += [".psv", ".txt"]
        case 0x3B: plain += [".txt"]
        default: break
        }
        return plain + plain.map { $0 + ".zst" }
    }

    /// Whether `name` is an upload's file name under this profile.
    package func acceptsUpload(named name: String) -> Bool {
        let lowered = name.lowercased()
        return uploadExtensions.contains { lowered.hasSuffix($0) && lowered.count > $0.count }
    }

    // MARK: - Loading

    /// The profile of `customer` in `directory`, or ``standard`` when it has none.
    package static func load(customer: String, directory: String) throws(ConfigError) -> CustomerProfile {
        let path = (directory as NSString).appendingPathComponent(customer + ".yaml")
        guard FileManager.default.fileExists(atPath: path) else { return .standard }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, message: "cannot read the customer profile")
        }
        return try parse(text, file: path)
    }

    private static let keys = ["encoding", "delimiter", "date_format", "amounts", "columns"]

    package static func parse(_ text: String, file: String) throws(ConfigError) -> CustomerProfile {
        var profile = CustomerProfile()
        profile.file = file
        guard let root = try YAMLNode.parseConfig(text, file: file) else { return profile }
        let what = "a customer profile"
        let mapping = try root.configMapping(what, file: file)
        try mapping.checkKeys(keys, in: what, file: file)
        for (key, value) in mapping {
            let name = key.string ?? ""
            let text = name == "columns" ? "" : try value.configString(name, file: file)
            func unknown(_ known: String) -> ConfigError {
                ConfigError(
                    file: file,
                    line: value.mark.line,
                    message: SafeMessage(trusted: "'\(name)' must be one of \(known)")
                )
            }
            switch name {
            case "encoding":
                guard let encoding = TextEncoding(rawValue: text.lowercased()) else {
                    throw unknown(TextEncoding.allCases.map(\.rawValue).joined(separator: ", "))
                }
                profile.encoding = encoding
            case "delimiter":
                let delimiters: [String: UInt8] = [",": 0x2C, "|": 0x7C, ";": 0x3B, "\t": 0x09, "\\t": 0x09]
                guard let delimiter = delimiters[text] else { throw unknown("\",\", \"|\", \";\", \"\\t\"") }
                profile.delimiter = delimiter
            case "date_format":
                guard let format = DateFormat(rawValue: text.uppercased()) else {
                    throw unknown(DateFormat.allCases.map(\.rawValue).joined(separator: ", "))
                }
                profile.dateFormat = format
            case "amounts":
                guard let style = AmountStyle(rawValue: text.lowercased()) else { throw unknown("plain, us") }
                profile.amounts = style
            case "columns":
                profile.columns = try columns(value, file: file)
            default:
                break
            }
        }
        return profile
    }

    private static func columns(_ node: YAMLNode, file: String) throws(ConfigError) -> [ClaimColumn: String] {
        let mapping = try node.configMapping("'columns'", file: file)
        var columns: [ClaimColumn: String] = [:]
        var headers: Set<String> = []
        for (key, value) in mapping {
            let name = try key.configString("a column", file: file)
            guard let column = ClaimColumn(name: name) else {
                throw ConfigError(
                    file: file,
                    line: key.mark.line,
                    message: SafeMessage(
                        trusted: "unknown format column '\(name)' (known: "
                            + ClaimColumn.allCases.map(\.name).joined(separator: ", ") + ")"
                    )
                )
            }
            let header = try value.configString(name, file: file).trimmingASCIISpaces()
            guard !header.isEmpty, header.utf8.count <= 64, header.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw ConfigError(
                    file: file,
                    line: value.mark.line,
                    message: "a mapped header is a plain ASCII name of at most 64 characters"
                )
            }
            guard columns[column] == nil else {
                throw ConfigError(file: file, line: key.mark.line, message: "a column is mapped twice")
            }
            guard headers.insert(header.lowercased()).inserted else {
                throw ConfigError(file: file, line: value.mark.line, message: "two columns are mapped to one header")
            }
            columns[column] = header
        }
        return columns
    }
}

/// The text encoding of an upload; anything but UTF-8 is transcoded while streaming.
package enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
    case iso88591 = "iso-8859-1"
}

/// How dates are written.
package enum DateFormat: String, Sendable, CaseIterable {
    case iso = "YYYY-MM-DD"
    /// Two-digit month and day.
    case us = "MM/DD/YYYY"
    /// One- or two-digit month and day.
    case usShort = "M/D/YYYY"
    case european = "DD.MM.YYYY"
}

/// How amounts are written.
package enum AmountStyle: String, Sendable, CaseIterable {
    /// `1234.50`.
    case plain
    /// `$1,234.50` or `1234.50`; `(12.00)` is a negative amount (rejected as such).
    case us
}
