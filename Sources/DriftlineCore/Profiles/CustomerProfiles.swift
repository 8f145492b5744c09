import Foundation

/// The customer profiles of a pipeline (`pipelines/profiles/<customer_id>.yaml`), read once per run,
/// strictly, before any file is touched.
package struct CustomerProfiles: Sendable {
    private var profiles: [String: CustomerProfile]

    package init(_ profiles: [String: CustomerProfile] = [:]) { self.profiles = profiles }

    /// The customer's profile, or ``CustomerProfile/standard``.
    package func profile(for customer: String) -> CustomerProfile { profiles[customer] ?? .standard }

    package var customers: [String] { profiles.keys.sorted() }

    /// Reads every `*.yaml` of `directory` (none when it does not exist).
    package static func load(directory: String) throws(ConfigError) -> CustomerProfiles {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else { return CustomerProfiles() }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw ConfigError(file: directory, message: "cannot read the profiles folder")
        }
        var profiles: [String: CustomerProfile] = [:]
        for name in names.sorted() where name.hasSuffix(".yaml") && !name.hasPrefix(".") {
            let customer = String(name.dropLast(5))
            guard InboxScanner.isValidCustomerID(customer) else {
                throw ConfigError(
                    file: (directory as NSString).appendingPathComponent(name),
                    message: "a profile is named after its customer id ([a-z0-9._-]).yaml"
                )
            }
            profiles[customer] = try CustomerProfile.load(customer: customer, directory: directory)
        }
        return CustomerProfiles(profiles)
    }
}
