import Foundation

/// Finds the uploads waiting in an inbox: `inbox/<customer_id>/<file>.csv[.zst]`.
///
/// Skips what is still being written (hidden names, `*.part`, `*.tmp`, or modified within the settle
/// time) and reports what does not belong (directories, files outside a customer folder, bad folder names).
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

    package static func isValidCustomerID(_ name: String) -> Bool {
        name.wholeMatch(of: /[a-z0-9][a-z0-9._-]{0,63}/) != nil
    }

    package static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".tmp") || name.hasSuffix("~")
    }

    package static func isUploadName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered.hasSuffix(".csv") || lowered.hasSuffix(".csv.zst")
    }

    package func scan(now: Date = Date()) throws(ConfigError) -> Result {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: inbox, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(file: inbox, message: "the inbox folder does not exist")
        }
        var result = Result()
        let customers = ((try? manager.contentsOfDirectory(atPath: inbox)) ?? []).sorted()
        for customer in customers where !Self.isTemporary(customer) {
            let folder = (inbox as NSString).appendingPathComponent(customer)
            guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
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
            guard let names = try? manager.contentsOfDirectory(atPath: folder) else {
                result.problems.append(Problem(path: folder, message: "cannot list the customer folder"))
                continue
            }
            for name in names.sorted() where !Self.isTemporary(name) {
                let path = (folder as NSString).appendingPathComponent(name)
                guard let attributes = try? manager.attributesOfItem(atPath: path) else {
                    result.problems.append(Problem(path: path, message: "cannot read the file's attributes"))
                    continue
                }
                let type = attributes[.type] as? FileAttributeType
                if type == .typeDirectory {
                    result.problems.append(
                        Problem(path: path, message: "a directory inside a customer folder: left in place")
                    )
                    continue
                }
                if let modified = attributes[.modificationDate] as? Date,
                    now.timeIntervalSince(modified) < settleSeconds
                {
                    result.unsettled.append(path)
                    continue
                }
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
                result.candidates.append(Candidate(customerID: customer, path: path, fileName: name, size: size))
            }
        }
        return result
    }
}
