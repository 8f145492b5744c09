/// A one-line chart of a series in block characters (`▁▂▃▄▅▆▇█`), for a terminal.
package enum Sparkline {
    private static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One character per value, scaled between the series' minimum and maximum; a missing value is a space,
    /// a flat series is drawn at the middle.
    ///
    /// - Parameter separator: the index before which a `│` is drawn (the start of the current window).
    package static func render(_ values: [Double?], separator: Int? = nil) -> String {
        let present = values.compactMap { $0 }
        guard let low = present.min(), let high = present.max() else { return "" }
        var line = ""
        for (index, value) in values.enumerated() {
            if index == separator { line.append("│") }
            guard let value else {
                line.append(" ")
                continue
            }
            let level =
                high - low < 1e-12
                ? blocks.count / 2 - 1
                : Int(((value - low) / (high - low) * Double(blocks.count - 1)).rounded())
            line.append(blocks[min(max(level, 0), blocks.count - 1)])
        }
        return line
    }
}
