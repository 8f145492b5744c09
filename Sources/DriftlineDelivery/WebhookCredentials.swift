import DriftlineCore
import Foundation

/// Endpoint URLs and signing secrets, from the environment or a secrets file — never from the rules file,
/// the command line or the database, and never logged or printed.
///
/// Endpoint `NAME` reads `DRIFTLINE_WEBHOOK_<NAME>_URL` and `DRIFTLINE_WEBHOOK_<NAME>_SECRET` (the name
/// uppercased, `-` as `_`; several secrets space-separated during a rotation). A secrets file holds the same
/// `KEY=VALUE` lines (`#` comments) and must not be readable by group or others (mode 0600); the environment
/// wins over the file.
package struct WebhookCredentials: Sendable {
    package struct Endpoint: Sendable, CustomStringConvertible {
        package var url: String
        package var signer: WebhookSigner
        /// Never the URL (it may carry a token) nor the secret.
        package var description: String { "<webhook endpoint>" }
    }

    private let endpoints: [String: Endpoint]

    package init(endpoints: [String: Endpoint]) { self.endpoints = endpoints }

    /// The endpoint's URL and signer; `nil` when no URL is configured (it then uses the file channel).
    package func endpoint(_ name: String) -> Endpoint? { endpoints[name] }

    /// Reads the credentials of `book`'s endpoints.
    ///
    /// - Throws: ``DeliveryConfigError`` for a secrets file that others may read or that cannot be read, a URL
    ///   that is not http(s), or a URL without a secret.
    /// The endpoints' URLs and secrets from this process's environment and `secretsFile`, else the file that
    /// `$DRIFTLINE_WEBHOOK_SECRETS_FILE` names (what `alerts deliver` and the `deliver` stage both read).
    package static func fromEnvironment(
        book: AlertRuleBook,
        secretsFile: String?
    ) throws(DeliveryConfigError) -> WebhookCredentials {
        let environment = ProcessInfo.processInfo.environment
        return try load(
            book: book,
            environment: environment,
            secretsFile: secretsFile ?? environment["DRIFTLINE_WEBHOOK_SECRETS_FILE"]
        )
    }

    package static func load(
        book: AlertRuleBook,
        environment: [String: String],
        secretsFile: String?
    ) throws(DeliveryConfigError) -> WebhookCredentials {
        var values: [String: String] = [:]
        if let secretsFile {
            values = try readSecretsFile(secretsFile)
        }
        for (key, value) in environment where key.hasPrefix("DRIFTLINE_WEBHOOK_") { values[key] = value }
        var endpoints: [String: Endpoint] = [:]
        for endpoint in book.endpoints.values {
            let prefix = "DRIFTLINE_WEBHOOK_\(endpoint.environmentName)"
            guard let url = values[prefix + "_URL"], !url.isEmpty else { continue }
            guard let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil
            else {
                throw DeliveryConfigError(endpoint: endpoint.name, problem: "its URL is not an http(s) URL")
            }
            let secrets = (values[prefix + "_SECRET"] ?? "").split(separator: " ").map(String.init)
            guard !secrets.isEmpty else {
                throw DeliveryConfigError(endpoint: endpoint.name, problem: "it has a URL but no \(prefix)_SECRET")
            }
            endpoints[endpoint.name] = Endpoint(
                url: url,
                signer: try WebhookSigner(secrets: secrets, endpoint: endpoint.name)
            )
        }
        return WebhookCredentials(endpoints: endpoints)
    }

    private static func readSecretsFile(_ path: String) throws(DeliveryConfigError) -> [String: String] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw DeliveryConfigError(endpoint: "*", problem: "the secrets file cannot be read")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw DeliveryConfigError(
                endpoint: "*",
                problem: "the secrets file must be mode 0600 (no group or other access)"
            )
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DeliveryConfigError(endpoint: "*", problem: "the secrets file cannot be read")
        }
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            values[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
        }
        return values
    }
}
