import DriftlineCore
import DriftlineDelivery
import Foundation
import Testing

/// Signatures per the Standard Webhooks specification: its published example, rotation, an independent verifier.
@Suite struct WebhookSignatureTests {
    /// The specification's example (secret, id, timestamp, body → signature), as its reference libraries test it.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = #"{"test": 2432232314}"#
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    @Test func reproducesTheSpecificationsExample() throws {
        let signer = try WebhookSigner(secrets: [Self.secret], endpoint: "default")
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body) == Self.expected)
        // The whsec_ prefix is optional.
        let bare = try WebhookSigner(secrets: [String(Self.secret.dropFirst(6))], endpoint: "default")
        #expect(bare.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body) == Self.expected)
        // Any change to id, timestamp or body changes it.
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp + 1, body: Self.body) != Self.expected)
        #expect(signer.signature(id: Self.id + "x", timestamp: Self.timestamp, body: Self.body) != Self.expected)
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body + " ") != Self.expected)
    }

    @Test func signsWithEverySecretDuringRotation() throws {
        let next = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let signer = try WebhookSigner(secrets: [Self.secret, next], endpoint: "default")
        let header = signer.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body)
        let parts = header.split(separator: " ").map(String.init)
        #expect(parts.count == 2)
        #expect(parts[0] == Self.expected)
        #expect(parts[1].hasPrefix("v1,") && parts[1] != Self.expected)
    }

    @Test func aSecretThatIsNotBase64IsAConfigErrorThatDoesNotQuoteIt() {
        do {
            _ = try WebhookSigner(secrets: ["whsec_not base64!!ZZCANARY"], endpoint: "default")
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("ZZCANARY"))
            #expect(error.description.contains("default"))
        }
    }

    @Test func credentialsComeFromTheEnvironmentOrA0600SecretsFile() throws {
        let book = AlertRuleBook.fallback
        let environment = [
            "DRIFTLINE_WEBHOOK_DEFAULT_URL": "https://hooks.example.test/ZZCANARY",
            "DRIFTLINE_WEBHOOK_DEFAULT_SECRET": Self.secret,
        ]
        let credentials = try WebhookCredentials.load(book: book, environment: environment, secretsFile: nil)
        let endpoint = try #require(credentials.endpoint("default"))
        #expect(endpoint.url == "https://hooks.example.test/ZZCANARY")
        #expect(!"\(endpoint)".contains("ZZCANARY") && !String(reflecting: endpoint).contains("MfKQ9r8"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try
            "# test\nDRIFTLINE_WEBHOOK_DEFAULT_URL=http://127.0.0.1:9/x\nDRIFTLINE_WEBHOOK_DEFAULT_SECRET=\(Self.secret)\n"
            .write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect(throws: DeliveryConfigError.self) {
            try WebhookCredentials.load(book: book, environment: [:], secretsFile: file.path)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let fromFile = try WebhookCredentials.load(book: book, environment: [:], secretsFile: file.path)
        #expect(fromFile.endpoint("default")?.url == "http://127.0.0.1:9/x")
        // A URL without a secret is refused; no URL at all means the file channel.
        #expect(throws: DeliveryConfigError.self) {
            try WebhookCredentials.load(
                book: book,
                environment: ["DRIFTLINE_WEBHOOK_DEFAULT_URL": "https://x.test"],
                secretsFile: nil
            )
        }
        #expect(try WebhookCredentials.load(book: book, environment: [:], secretsFile: nil).endpoint("default") == nil)
    }

    @Test func retryAfterIsSecondsOrAnHTTPDate() throws {
        #expect(WebhookDeliverer.retryAfterSeconds("120") == 120)
        #expect(WebhookDeliverer.retryAfterSeconds(" 7 ") == 7)
        #expect(WebhookDeliverer.retryAfterSeconds("-1") == nil)
        #expect(WebhookDeliverer.retryAfterSeconds("soon") == nil)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let inAMinute = formatter.string(from: Date().addingTimeInterval(60))
        let seconds = try #require(WebhookDeliverer.retryAfterSeconds(inAMinute))
        #expect(seconds > 55 && seconds <= 60)
        #expect(WebhookDeliverer.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0)  // in the past
    }

    /// The `standardwebhooks` Python package (the specification's own library) verifies what we sign.
    @Test(.enabled(if: WebhookSignatureTests.pythonVerifierAvailable))
    func anIndependentVerifierAccepts() throws {
        let signer = try WebhookSigner(secrets: [Self.secret], endpoint: "default")
        let timestamp = Int64(Date().timeIntervalSince1970)
        let body = #"{"data":{"customer_id":"acme-clinic","events":[]},"type":"drift.alert"}"#
        let signature = signer.signature(id: "msg_abc", timestamp: timestamp, body: body)
        let script = """
            import sys
            from standardwebhooks.webhooks import Webhook
            secret, msg_id, ts, sig, body = sys.argv[1:6]
            Webhook(secret).verify(body, {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig})
            try:
                Webhook(secret).verify(body + " ", {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig})
            except Exception:
                print("ok")
            """
        let output = try Self.python(["-c", script, Self.secret, "msg_abc", String(timestamp), signature, body])
        #expect(output.status == 0)
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }

    static let pythonVerifierAvailable: Bool = {
        (try? python(["-c", "import standardwebhooks.webhooks"]).status) == 0
    }()

    static func python(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
