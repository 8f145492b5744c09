/// Upload fixtures: a header and rows built from a valid template, with a PHI canary in them.
package enum Claims {
    package static let header =
        "claim_id,customer_id,payer,cpt_code,service_date,submitted_date,decided_date,outcome,denial_reason,billed_amount,allowed_amount,paid_amount,patient_ref,provider_npi"

    /// Text that must never appear in a log line, error, metric or payload.
    package static let canary = "ZZCANARY"

    /// A valid row (as of 2026-11-21) whose patient_ref carries the canary.
    package static func row(
        _ id: Int,
        customer: String = "acme-clinic",
        payer: String = "AETNA",
        cpt: String = "99213",
        outcome: String = "paid",
        billed: String = "180.00",
        serviceDate: String = "2026-05-01",
        decided: String = "2026-05-20",
        denial: String = "",
        allowed: String = "120.00",
        paid: String = "96.00",
        patient: String? = nil,
        claimID: String? = nil
    ) -> String {
        let patientRef = patient ?? "P\(canary)\(id)"
        let claim = claimID ?? "C\(id)-\(canary)"
        return
            "\(claim),\(customer),\(payer),\(cpt),\(serviceDate),2026-05-03,\(decided),\(outcome),\(denial),\(billed),\(allowed),\(paid),\(patientRef),1234567893"
    }

    /// A file of `count` valid rows.
    package static func file(rows count: Int, customer: String = "acme-clinic", startingAt first: Int = 1) -> String {
        ([header] + (first..<(first + count)).map { row($0, customer: customer) }).joined(separator: "\n") + "\n"
    }
}
