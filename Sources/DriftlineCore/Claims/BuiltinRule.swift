/// The format checks every row passes before the configurable rules: stable ids for reports and the database.
package enum BuiltinRule: String, CaseIterable, Sendable, LogSafe {
    case structure = "csv.structure"
    case columnCount = "csv.column_count"
    case encoding = "format.encoding"
    case nul = "format.nul"
    case required = "format.required"
    case date = "format.date"
    case amount = "format.amount"
    case negativeAmount = "format.negative_amount"
    case outcome = "format.outcome"
    case decidedDate = "format.decided_date"
    case length = "format.length"
    case cptCode = "format.cpt_code"
    case tenant = "tenant.customer_id"
    case duplicateClaim = "duplicate.claim_id"
    case unknownPayer = "payer.unknown"
    case staleClaim = "claim.stale"

    package var description: String { rawValue }

    package var message: SafeMessage {
        switch self {
        case .structure: "malformed CSV quoting on this line (a stray or unescaped quote)"
        case .columnCount: "the row does not have as many fields as the header"
        case .encoding: "not valid text in the upload's encoding (UTF-8 unless the customer profile says otherwise)"
        case .nul: "contains a NUL byte"
        case .required: "required value is empty"
        case .date:
            "not a real calendar date in the upload's date format (YYYY-MM-DD unless the customer profile says otherwise)"
        case .amount: "not a non-negative decimal amount with at most 2 decimal places"
        case .negativeAmount: "amount is negative"
        case .outcome: "outcome must be paid, denied or pending"
        case .decidedDate: "decided_date must be empty when the claim is pending, and set otherwise"
        case .length: "value is longer than the column allows"
        case .cptCode: "not a CPT code (5 digits, or 4 digits and F, T, U or M)"
        case .tenant: "customer_id differs from the customer folder the file was dropped in"
        case .duplicateClaim: "claim_id repeats an earlier line of this file"
        case .unknownPayer:
            "payer name is not on the payer list (rules/payer_names.yaml): loaded as written; first line with this name"
        case .staleClaim:
            "an older version of a stored claim (an earlier submitted_date, pending where the stored claim is decided, or an earlier decided_date): skipped, the stored claim is kept"
        }
    }

    /// Every built-in rule rejects its row, except ``unknownPayer`` and ``staleClaim`` (reported only: a stale
    /// row is skipped, not rejected).
    package var severity: Severity { self == .unknownPayer || self == .staleClaim ? .info : .error }

    /// This rule's finding at `line`, blaming `column`.
    @inline(__always)
    package func finding(line: Int, column: ClaimColumn?, message: SafeMessage? = nil) -> Finding {
        Finding(
            line: line,
            column: column?.name,
            ruleID: rawValue,
            severity: severity,
            message: message ?? self.message
        )
    }
}
