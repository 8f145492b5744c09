/// How generated uploads look: the project's own canonical files, or what practice-management systems
/// really export.
package enum SampleStyle: String, Sendable, CaseIterable {
    /// Upper-case payer codes, `P` + 8 hex patient refs, empty amounts on pending claims.
    case canonical
    /// Payer names as clearinghouses spell them (mixed case, aliases), `0.00` in `allowed_amount` and
    /// `paid_amount` of pending claims, adjustment codes (`CO-45`, `PR-2`) on paid claims, `CO97`-style
    /// codes, 16-hex-digit patient refs. Otherwise the canonical file format.
    case realistic
    /// The realistic content in a customer's own export format: Windows-1252, `|`-delimited, the
    /// customer's header names, `MM/DD/YYYY` dates and `$1,234.50` amounts; `profiles/<customer>.yaml`
    /// is written beside the files. Loads to the same claims as the realistic file of the same seed.
    case mapped

    var realisticContent: Bool { self != .canonical }

    /// The profile a mapped file needs (YAML text for `pipelines/profiles/<customer>.yaml`).
    static let mappedProfile = """
        # Written by `driftline samples generate --style mapped`.
        encoding: windows-1252
        delimiter: "|"
        date_format: MM/DD/YYYY
        amounts: us
        columns:
          claim_id: Claim Number
          customer_id: Practice ID
          payer: Payer Name
          cpt_code: CPT
          service_date: DOS
          submitted_date: Date Submitted
          decided_date: Adjudication Date
          outcome: Claim Status
          denial_reason: Denial Code
          billed_amount: Charge Amount
          allowed_amount: Allowed
          paid_amount: Paid
          patient_ref: Patient Account
          provider_npi: Rendering NPI

        """

    /// The header of a mapped file, in the format's column order.
    static let mappedHeader = [
        "Claim Number", "Practice ID", "Payer Name", "CPT", "DOS", "Date Submitted", "Adjudication Date",
        "Claim Status", "Denial Code", "Charge Amount", "Allowed", "Paid", "Patient Account", "Rendering NPI",
    ].joined(separator: "|")

    /// How each catalog payer is spelled in realistic exports (every spelling is on `rules/payer_names.yaml`
    /// under the payer's canonical id). Keyed by the catalog's name.
    static let spellings: [String: [String]] = [
        "MEDICARE": ["Medicare", "MEDICARE", "Medicare Part B", "Medicare Part B Novitas"],
        "UNITEDHEALTHCARE": ["UnitedHealthcare", "United Healthcare", "UHC", "United Health Care"],
        "MEDICAID": ["Medicaid", "MEDICAID", "State Medicaid", "Medicaid – State Plan"],
        "AETNA": ["Aetna", "AETNA", "Aetna Inc"],
        "BCBS-TX": ["BCBS Texas", "Blue Cross Blue Shield of Texas", "BCBSTX"],
        "CIGNA": ["Cigna", "CIGNA HealthCare", "Cigna Healthcare"],
        "HUMANA": ["Humana", "HUMANA", "Humana Inc"],
        "ANTHEM": ["Anthem", "Anthem Blue Cross", "Anthem BCBS"],
        "BCBS-CA": ["Blue Shield of California", "Blue Shield CA"],
        "KAISER": ["Kaiser Permanente", "Kaiser", "KAISER"],
        "CENTENE": ["Centene", "CENTENE"],
        "MOLINA": ["Molina Healthcare", "Molina", "MOLINA"],
        "WELLCARE": ["WellCare", "Wellcare Health Plans"],
        "TRICARE": ["Tricare", "TRICARE East", "Tricare For Life"],
        "BCBS-IL": ["BCBS Illinois", "Blue Cross Blue Shield of Illinois"],
        "HIGHMARK": ["Highmark", "Highmark BCBS"],
        "BCBS-FL": ["Florida Blue", "BCBS Florida"],
        "CAREFIRST": ["CareFirst", "CareFirst BCBS"],
        "OSCAR": ["Oscar Health", "Oscar"],
        "AMBETTER": ["Ambetter", "Ambetter Health"],
        "HEALTHNET": ["Health Net", "HealthNet"],
        "EMBLEMHEALTH": ["EmblemHealth", "Emblem Health"],
        "UMR": ["UMR", "UMR Inc"],
        "OXFORD": ["Oxford Health Plans", "Oxford"],
        "GEHA": ["GEHA", "Government Employees Health Association"],
    ]

    /// `text` in Windows-1252 (the few non-ASCII characters the spellings use).
    static func windows1252(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { scalar in
            switch scalar.value {
            case 0x2013: 0x96
            case 0x2014: 0x97
            case 0xE9: 0xE9
            default: UInt8(truncatingIfNeeded: scalar.value)
            }
        }
    }

    /// Adjustment codes a paid line often carries (contractual obligation, deductible, coinsurance).
    static let paidAdjustments = ["CO-45", "PR-1", "PR-2", "PR-3", "CO-253"].map { Array($0.utf8) }
}
