import CZlib
import Foundation

/// Debian's `chromium`, headless: renders a local page to a PNG and reports what the browser logged — the
/// console's messages and every URL request it was about to make — with every host name resolving to nothing
/// (`--host-resolver-rules`), so a page that tries the network fails to reach it and is seen trying.
package enum HeadlessBrowser {
    package struct Rendering: Sendable {
        package var screenshot: Data
        /// Console messages (errors, CSP violations, …): the browser logs them as `CONSOLE` lines.
        package var consoleMessages: [String]
        /// URLs the page requested other than `file:` and `data:` (the network delegate's log).
        package var networkRequests: [String]
    }

    /// The browser's path, or `nil` when none is installed.
    package static let executable: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    package static var isAvailable: Bool { executable != nil }

    /// The browser's own background requests with a fresh profile (clock, component updates, account list,
    /// spell-check dictionary), which no flag silences in headless mode; each is named by host and path, so a
    /// page's request to another path of those hosts (`fonts.googleapis.com/css…`) still counts.
    static let browserServices = [
        "clients2.google.com/time/1/current", "update.googleapis.com/service/update2/",
        "accounts.google.com/ListAccounts", "redirector.gvt1.com/edgedl/chrome/dict/",
    ]

    /// Renders `page` (a local file) at `width` × `height` CSS pixels.
    package static func render(_ page: URL, width: Int = 1200, height: Int = 2000) throws -> Rendering {
        guard let executable else { throw BrowserError(message: "chromium is not installed") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("driftline-browser-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let screenshot = folder.appendingPathComponent("page.png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps",
            "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=1",
            "--window-size=\(width),\(height)", "--screenshot=\(screenshot.path)", page.absoluteString,
        ]
        let log = folder.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardError = handle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            process.terminate()
            throw BrowserError(message: "chromium did not finish in 90 s")
        }
        try handle.close()
        let lines = (try String(contentsOf: log, encoding: .utf8)).split(separator: "\n").map(String.init)
        let console = lines.filter { $0.contains(":CONSOLE") }
        let requests = lines.compactMap { line -> String? in
            guard let range = line.range(of: "NotifyBeforeURLRequest: ") else { return nil }
            let url = String(line[range.upperBound...])
            if url.hasPrefix("file:") || url.hasPrefix("data:") { return nil }
            return browserServices.contains { url.contains($0) } ? nil : url
        }
        guard let png = FileManager.default.contents(atPath: screenshot.path) else {
            throw BrowserError(message: "chromium wrote no screenshot (exit \(process.terminationStatus))")
        }
        return Rendering(screenshot: png, consoleMessages: console, networkRequests: requests)
    }

    package struct BrowserError: Error, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }
}

/// The pixels of an 8-bit RGB or RGBA PNG (what the browser's screenshot is), enough to tell a blank page from a
/// drawn one.
package struct PNGImage {
    package var width: Int
    package var height: Int
    /// RGB, 3 bytes a pixel, row after row.
    package var rgb: [UInt8]

    package init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 33, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw HeadlessBrowser.BrowserError(message: "not a PNG")
        }
        func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        var offset = 8
        var idat: [UInt8] = []
        var width = 0
        var height = 0
        var channels = 0
        while offset + 8 <= bytes.count {
            let length = be32(offset)
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            let body = offset + 8
            if type == "IHDR" {
                width = be32(body)
                height = be32(body + 4)
                guard bytes[body + 8] == 8, bytes[body + 12] == 0 else {
                    throw HeadlessBrowser.BrowserError(message: "PNG: only 8-bit, non-interlaced")
                }
                switch bytes[body + 9] {
                case 2: channels = 3
                case 6: channels = 4
                default: throw HeadlessBrowser.BrowserError(message: "PNG: only RGB or RGBA")
                }
            } else if type == "IDAT" {
                idat += bytes[body..<body + length]
            }
            offset = body + length + 4
        }
        let rowBytes = width * channels
        var raw = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        var size = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { out in
            idat.withUnsafeBufferPointer { uncompress(out.baseAddress, &size, $0.baseAddress, uLong($0.count)) }
        }
        guard status == Z_OK, Int(size) == raw.count else {
            throw HeadlessBrowser.BrowserError(message: "PNG: bad image data")
        }
        // Undo each row's filter (PNG spec, 9.2).
        var pixels = [UInt8](repeating: 0, count: height * rowBytes)
        for row in 0..<height {
            let filter = raw[row * (rowBytes + 1)]
            for column in 0..<rowBytes {
                let x = Int(raw[row * (rowBytes + 1) + 1 + column])
                let a = column >= channels ? Int(pixels[row * rowBytes + column - channels]) : 0
                let b = row > 0 ? Int(pixels[(row - 1) * rowBytes + column]) : 0
                let c = row > 0 && column >= channels ? Int(pixels[(row - 1) * rowBytes + column - channels]) : 0
                let predicted: Int
                switch filter {
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
                    predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: predicted = 0
                }
                pixels[row * rowBytes + column] = UInt8((x + predicted) & 0xFF)
            }
        }
        self.width = width
        self.height = height
        if channels == 3 {
            rgb = pixels
        } else {
            rgb = []
            rgb.reserveCapacity(width * height * 3)
            for index in stride(from: 0, to: pixels.count, by: 4) { rgb += pixels[index..<index + 3] }
        }
    }

    /// The variance of the pixels' luminance (0 for a blank page).
    package var luminanceVariance: Double {
        var sum = 0.0
        var squares = 0.0
        let count = Double(width * height)
        for index in stride(from: 0, to: rgb.count, by: 3) {
            let y = 0.299 * Double(rgb[index]) + 0.587 * Double(rgb[index + 1]) + 0.114 * Double(rgb[index + 2])
            sum += y
            squares += y * y
        }
        let mean = sum / count
        return squares / count - mean * mean
    }

    /// How many distinct colours the image has.
    package var colorCount: Int {
        var colors = Set<UInt32>()
        for index in stride(from: 0, to: rgb.count, by: 3) {
            colors.insert(UInt32(rgb[index]) << 16 | UInt32(rgb[index + 1]) << 8 | UInt32(rgb[index + 2]))
        }
        return colors.count
    }
}
