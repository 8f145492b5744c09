import Crypto
import Foundation

/// Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")), one per secret.
///
/// A secret is `whsec_` + base64 of the key bytes (the prefix is optional, as in the reference libraries).
/// During a rotation an endpoint has several secrets and the header carries one signature each,
/// space-separated; a receiver accepts the message when any of them verifies.
package struct WebhookSigner: Sendable {
    /// Key bytes (`SymmetricKey` is not `Sendable`; a key is made per signature).
    private let keys: [Data]

    /// - Throws: ``DeliveryConfigError`` when a secret is not base64 (the secret is not in the message).
    package init(secrets: [String], endpoint: String) throws(DeliveryConfigError) {
        var keys: [Data] = []
        for secret in secrets {
            let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
            guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else {
                throw DeliveryConfigError(endpoint: endpoint, problem: "its signing secret is not whsec_ + base64")
            }
            keys.append(bytes)
        }
        self.keys = keys
    }

    package var isEmpty: Bool { keys.isEmpty }

    /// The `webhook-signature` header value.
    package func signature(id: String, timestamp: Int64, body: String) -> String {
        let content = Data("\(id).\(timestamp).".utf8) + Data(body.utf8)
        return keys.map { key in
            "v1,"
                + Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key)))
                .base64EncodedString()
        }.joined(separator: " ")
    }
}
