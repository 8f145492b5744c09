import Foundation

/// CPT sections (E&M, Radiology, …) derived from a code by the public section ranges in `rules/cpt_groups.yaml`.
package struct CPTGroups: Sendable {
    package struct Range: Sendable {
        package var lower: Int32
        package var upper: Int32
        package var group: Int16
    }

    /// Group names, indexed by ``ClaimRow/cptGroup``.
    package private(set) var names: [String]
    /// Sorted by `lower`; ranges do not overlap.
    package private(set) var ranges: [Range]

    package init(names: [String], ranges: [Range]) {
        self.names = names
        self.ranges = ranges.sorted { $0.lower < $1.lower }
    }

    /// The group of a CPT key, by binary search.
    @inline(__always)
    package func group(forKey key: Int32) -> Int16? {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) >> 1
            if ranges[mid].upper < key { low = mid + 1 } else { high = mid }
        }
        guard low < ranges.count, ranges[low].lower <= key else { return nil }
        return ranges[low].group
    }

    package func index(ofName name: String) -> Int16? {
        names.firstIndex { $0.caseInsensitiveCompare(name) == .orderedSame }.map(Int16.init)
    }

    /// Loads `cpt_groups.yaml`: `groups: [{name: Radiology, ranges: ["70010-79999"]}, …]`.
    package static func load(from url: URL) throws(ConfigError) -> CPTGroups {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: url.path, line: nil, message: "cannot read the CPT group file")
        }
        let file = url.path
        guard let root = try YAMLNode.parseConfig(text, file: file) else {
            throw ConfigError(file: file, message: "empty CPT group file")
        }
        let top = try root.configMapping("the CPT group file", file: file)
        try top.checkKeys(["groups"], in: "the CPT group file", file: file)
        guard case .sequence(let groups) = try top.required("groups", in: "the CPT group file", file: file) else {
            throw ConfigError(file: file, line: top.mark.line, message: "'groups' must be a list")
        }
        var names: [String] = []
        var ranges: [Range] = []
        for node in groups {
            let group = try node.configMapping("a CPT group", file: file)
            try group.checkKeys(["name", "ranges"], in: "a CPT group", file: file)
            let name = try group.required("name", in: "a CPT group", file: file).configString("name", file: file)
            let index = Int16(names.count)
            names.append(name)
            let rangesNode = try group.required("ranges", in: "a CPT group", file: file)
            guard case .sequence(let items) = rangesNode else {
                throw ConfigError(file: file, line: rangesNode.mark.line, message: "'ranges' must be a list")
            }
            for item in items {
                let text = try item.configString("ranges", file: file)
                guard let (lower, upper) = parseRange(text), lower <= upper else {
                    throw ConfigError(
                        file: file,
                        line: item.mark.line,
                        message: SafeMessage(trusted: "bad CPT range '\(text)' in group '\(name)'")
                    )
                }
                ranges.append(Range(lower: lower, upper: upper, group: index))
            }
        }
        let sorted = ranges.sorted { $0.lower < $1.lower }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.lower <= previous.upper {
            throw ConfigError(file: url.path, line: nil, message: "overlapping CPT ranges")
        }
        return CPTGroups(names: names, ranges: sorted)
    }

    /// `"99202-99215"` or a single code `"99213"` (spaces around the parts are ignored).
    package static func parseRange(_ text: String) -> (Int32, Int32)? {
        var text = text
        return text.withUTF8 { bytes -> (Int32, Int32)? in
            func key(_ range: Swift.Range<Int>) -> Int32? {
                var lower = range.lowerBound
                var upper = range.upperBound
                while lower < upper, bytes[lower] == 0x20 { lower += 1 }
                while upper > lower, bytes[upper - 1] == 0x20 { upper -= 1 }
                return CPTCode.key(UnsafeBufferPointer(rebasing: bytes[lower..<upper]))
            }
            guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")) else {
                return key(0..<bytes.count).map { ($0, $0) }
            }
            guard let lower = key(0..<dash), let upper = key((dash + 1)..<bytes.count) else { return nil }
            return (lower, upper)
        }
    }
}
