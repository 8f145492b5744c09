/// One generated claim before it is written, plus the defects a dirty line carries.
struct SampleClaim {
    enum Outcome: Sendable { case paid, denied, pending }

    static let noAmount = Int64.min

    var sequence: Int
    var payer: Int
    var procedure: Int
    /// Days since 1970-01-01.
    var service: Int
    var submitted: Int
    /// -1 when empty.
    var decided: Int
    var outcome: Outcome
    /// Index into the denial reason table, or -1 when empty.
    var reason: Int
    /// Cents.
    var billed: Int64
    /// Cents, or ``noAmount`` when empty.
    var allowed: Int64
    var paid: Int64
    var patient: UInt32
    /// Ten decimal digits.
    var npi: UInt64
    /// Realistic style: which spelling of the payer, which adjustment code on a paid line (-1: none),
    /// a CARC code written without its hyphen.
    var spelling = 0
    var adjustment = -1
    var compactReason = false

    // Defects (dirty lines only).
    var emptyClaimID = false
    var emptyPayer = false
    var outcomeText: [UInt8]?
    /// Date column slot (0 service, 1 submitted, 2 decided) replaced by `badDateText`, or -1.
    var badDateSlot = -1
    var badDateText: [UInt8] = []
    /// Column dropped from the line, or -1.
    var droppedColumn = -1
}
