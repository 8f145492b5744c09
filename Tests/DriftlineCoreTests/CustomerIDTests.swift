import DriftlineCore
import Testing

/// `InboxScanner.isValidCustomerID` accepts exactly `[a-z0-9][a-z0-9._-]{0,63}` (the pattern it replaced).
@Suite struct CustomerIDTests {
    @Test(arguments: [
        "acme-clinic", "a", "0", "lakeview_health.2", String(repeating: "a", count: 64),
        String(repeating: "a", count: 65), "", "-acme", ".acme", "_acme", "Acme", "acme clinic", "acme/x",
        "acmé", "a\u{301}", "ac\u{0}me", "acme\n", "ｆｕｌｌ", "a..b", "a--", "9lives",
    ])
    func matchesThePattern(name: String) {
        #expect(InboxScanner.isValidCustomerID(name) == (name.wholeMatch(of: /[a-z0-9][a-z0-9._-]{0,63}/) != nil))
    }

    @Test func pinned() {
        #expect(InboxScanner.isValidCustomerID("acme-clinic"))
        #expect(InboxScanner.isValidCustomerID(String(repeating: "z", count: 64)))
        #expect(!InboxScanner.isValidCustomerID(String(repeating: "z", count: 65)))
        #expect(!InboxScanner.isValidCustomerID("Acme"))
        #expect(!InboxScanner.isValidCustomerID(""))
        #expect(!InboxScanner.isValidCustomerID("a\u{301}"))
    }
}
