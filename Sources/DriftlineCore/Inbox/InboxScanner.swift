import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Finds the uploads waiting in an inbox: `inbox/<customer_id>/<file>.csv[.zst]`.
///
/// Skips what is still being written (hidden names, `*.part`, `*.tmp`, or modified within the settle
/// time) and reports what does not belong (directories, files outside a customer folder, bad folder names).
/// Nothing is followed: a symbolic link (an entry or a customer folder), a file with more than one hard
/// link, a FIFO or a device is reported and left in place without reading what it points to (`lstat`).
package struct InboxScanner: Sendable {
    package struct Candidate: Sendable, Equatable {
        package var customerID: String
        package var path: String
        package var fileName: String
        package var size: Int64
    }

    package struct Problem: Sendable, LogSafe {
        package var path: String
        package var message: SafeMessage
        package var description: String { "\(path): \(message)" }
    }

    package struct Result: Sendable {
        package var candidates: [Candidate] = []
        /// Left in place and reported.
        package var problems: [Problem] = []
        /// Still being written: left for a later run.
        package var unsettled: [String] = []
    }

    package var inbox: String
    package var settleSeconds: Double

    package init(inbox: String, settleSeconds: Double) {
        self.inbox = inbox
        self.settleSeconds = settleSeconds
    }

    /// `[a-z0-9][a-z0-9._-]{0,63}`, checked byte by byte: a regex literal starts Swift's regex engine, whose
    /// code and parse added about 1 MiB to the resident set of every run (README, Performance: memory).
    package static func isValidCustomerID(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, bytes.count <= 64 else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        return isAlphanumeric(first)
            && bytes.dropFirst().allSatisfy { isAlphanumeric($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    package static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".tmp") || name.hasSuffix("~")
    }

    package static func isUploadName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered.hasSuffix(".csv") || lowered.hasSuffix(".csv.zst")
    }

    /// The names in `folder` (without `.` and `..`), sorted; `nil` with `errno` set when it cannot be listed.
    static func list(_ folder: String) -> [String]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        errno = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
            errno = 0
        }
        return errno == 0 ? names.sorted() : nil
    }

    package func scan(now: Date = Date()) throws(ConfigError) -> Result {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: inbox, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(file: inbox, message: "the inbox folder does not exist")
        }
        var result = Result()
        // Listed with opendir(3), not FileManager: a folder that cannot be listed is an error, never empty.
        guard let customers = Self.list(inbox) else {
            throw ConfigError(file: inbox, message: "the inbox folder cannot be listed (errno \(Int(errno)))")
        }
        for customer in customers where !Self.isTemporary(customer) {
            let folder = (inbox as NSString).appendingPathComponent(customer)
            var info = stat()
            guard lstat(folder, &info) == 0 else {
                result.problems.append(Problem(path: folder, message: "cannot read the entry's attributes"))
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                result.problems.append(
                    Problem(
                        path: folder,
                        message: "a symbolic link, not a customer folder: not followed, left in place"
                    )
                )
                continue
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                result.problems.append(Problem(path: folder, message: "not in a customer folder: left in place"))
                continue
            }
            guard Self.isValidCustomerID(customer) else {
                result.problems.append(
                    Problem(
                        path: folder,
                        message: "folder name is not a valid customer id ([a-z0-9._-]): left in place"
                    )
                )
                continue
            }
            guard let names = Self.list(folder) else {
                result.problems.append(
                    Problem(path: folder, message: "cannot list the customer folder (errno \(Int(errno)))")
                )
                continue
            }
            for name in names.sorted() where !Self.isTemporary(name) {
                let path = (folder as NSString).appendingPathComponent(name)
                guard lstat(path, &info) == 0 else {
                    result.problems.append(Problem(path: path, message: "cannot read the file's attributes"))
                    continue
                }
                switch info.st_mode & S_IFMT {
                case S_IFREG: break
                case S_IFDIR:
                    result.problems.append(
                        Problem(path: path, message: "a directory inside a customer folder: left in place")
                    )
                    continue
                case S_IFLNK:
                    result.problems.append(
                        Problem(path: path, message: "a symbolic link: not followed, left in place")
                    )
                    continue
                default:
                    result.problems.append(Problem(path: path, message: "not a regular file: left in place"))
                    continue
                }
                guard info.st_nlink == 1 else {
                    result.problems.append(
                        Problem(path: path, message: "a file with more than one hard link: not read, left in place")
                    )
                    continue
                }
                let modified = Date(
                    timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                )
                if now.timeIntervalSince(modified) < settleSeconds {
                    result.unsettled.append(path)
                    continue
                }
                result.candidates.append(
                    Candidate(customerID: customer, path: path, fileName: name, size: Int64(info.st_size))
                )
            }
        }
        return result
    }
}
