/// A column of the upload format, in canonical order (the order of `driftline.claims`).
package enum ClaimColumn: Int, CaseIterable, Sendable, LogSafe {
    case claimID, customerID, payer, cptCode, serviceDate, submittedDate, decidedDate, outcome
    case denialReason, billedAmount, allowedAmount, paidAmount, patientRef, providerNPI

    /// The header name in upload files (matched case-insensitively).
    package var name: String {
        switch self {
        case .claimID: "claim_id"
        case .customerID: "customer_id"
        case .payer: "payer"
        case .cptCode: "cpt_code"
        case .serviceDate: "service_date"
        case .submittedDate: "submitted_date"
        case .decidedDate: "decided_date"
        case .outcome: "outcome"
        case .denialReason: "denial_reason"
        case .billedAmount: "billed_amount"
        case .allowedAmount: "allowed_amount"
        case .paidAmount: "paid_amount"
        case .patientRef: "patient_ref"
        case .providerNPI: "provider_npi"
        }
    }

    package var description: String { name }

    /// The number of columns (`allCases.count` without building the array).
    package static let count = 14

    package init?(name: String) {
        let lowered = name.lowercased()
        guard let match = Self.allCases.first(where: { $0.name == lowered }) else { return nil }
        self = match
    }

    /// Required in every row (`decided_date` is required unless the claim is pending: see ``ClaimFormat``).
    package var isRequired: Bool {
        switch self {
        case .decidedDate, .denialReason, .allowedAmount, .paidAmount: false
        default: true
        }
    }

    package var kind: Kind {
        switch self {
        case .serviceDate, .submittedDate, .decidedDate: .date
        case .billedAmount, .allowedAmount, .paidAmount: .amount
        case .outcome: .outcome
        default: .text
        }
    }

    package enum Kind: Sendable { case text, date, amount, outcome }

    /// Index into ``ClaimRow/dates`` for date columns.
    package var dateSlot: Int? {
        switch self {
        case .serviceDate: 0
        case .submittedDate: 1
        case .decidedDate: 2
        default: nil
        }
    }

    /// Index into ``ClaimRow/amounts`` for amount columns.
    package var amountSlot: Int? {
        switch self {
        case .billedAmount: 0
        case .allowedAmount: 1
        case .paidAmount: 2
        default: nil
        }
    }

    /// Maximum length in bytes of a text value (the claims table enforces the same).
    package var maxBytes: Int {
        switch self {
        case .claimID, .customerID, .patientRef: 64
        case .payer: 64
        case .cptCode: 5
        case .providerNPI: 10
        case .denialReason: 64
        default: 32
        }
    }
}

/// A claim's outcome.
package enum Outcome: UInt8, Sendable, LogSafe, CaseIterable {
    case paid, denied, pending
    package var description: String {
        switch self {
        case .paid: "paid"
        case .denied: "denied"
        case .pending: "pending"
        }
    }
}
