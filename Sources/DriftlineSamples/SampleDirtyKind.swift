import DriftlineCore

/// The ways a generated dirty line is bad; the raw value is the `kind` column of `dirty-lines.csv`.
///
/// Each dirty line is bad in exactly the one recorded way, except `paid_gt_billed`, where
/// `paid_amount` also exceeds `allowed_amount` (which equals `billed_amount` on those lines).
package enum SampleDirtyKind: String, CaseIterable, Sendable, LogSafe {
    /// A date that does not exist, such as `2026-02-30`, in `service_date`, `submitted_date` or `decided_date`.
    case impossibleDate = "impossible_date"
    /// A negative `paid_amount` on a paid claim.
    case negativeAmount = "negative_amount"
    /// An `outcome` other than paid, denied or pending (the rest of the row is a valid paid claim).
    case unknownOutcome = "unknown_outcome"
    /// An empty `payer` or `claim_id`.
    case missingRequired = "missing_required"
    /// A `provider_npi` with a wrong check digit.
    case badNPI = "bad_npi"
    /// One field dropped: 13 fields instead of 14.
    case wrongColumnCount = "wrong_column_count"
    /// A pending claim with a `decided_date`.
    case pendingWithDecidedDate = "pending_with_decided_date"
    /// The `claim_id` of an earlier valid line of the same file.
    case duplicateClaimID = "duplicate_claim_id"
    /// A paid claim whose `paid_amount` exceeds `billed_amount` (and `allowed_amount = billed_amount`).
    case paidGreaterThanBilled = "paid_gt_billed"
    /// A denied claim with an empty `denial_reason`.
    case deniedWithoutReason = "denied_without_reason"

    package var description: String { rawValue }
}
