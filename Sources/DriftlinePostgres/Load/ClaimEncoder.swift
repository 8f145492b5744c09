import DriftlineCore

/// Writes a validated claim's 16 columns (the order of ``UploadLoader/claimColumns``) as binary COPY fields.
///
/// `payer` is the canonical id of a listed payer (else the name as written); `payer_raw` the name as
/// written when it differs from `payer` (NULL otherwise, which is what a file of canonical ids writes).
struct ClaimEncoder {
    private let groupNames: [[UInt8]]
    private let payerIDs: [[UInt8]]
    private static let outcomes = Outcome.allCases.map { Array($0.description.utf8) }

    init(groups: CPTGroups, payers: PayerDirectory) {
        groupNames = groups.names.map { Array($0.utf8) }
        payerIDs = payers.idBytes
    }

    @inline(__always)
    func write(_ claim: ClaimRow, to writer: inout BinaryCopyWriter) throws(PostgresError) {
        try writer.bytes(claim.bytes(.customerID))
        try writer.bytes(claim.bytes(.claimID))
        let written = claim.bytes(.payer)
        var rawDiffers = false
        if let payer = claim.payer {
            try payerIDs[Int(payer)].withUnsafeBufferPointer { (id) throws(PostgresError) in
                rawDiffers = written.map { !$0.elementsEqual(id) } ?? false
                try writer.bytes(id)
            }
        } else {
            try writer.bytes(written)
        }
        try writer.bytes(claim.bytes(.cptCode))
        if let group = claim.cptGroup {
            try groupNames[Int(group)].withUnsafeBufferPointer { (name) throws(PostgresError) in try writer.bytes(name)
            }
        } else {
            writer.null()
        }
        writer.date(claim.dates[0])
        writer.date(claim.dates[1])
        writer.date(claim.dates[2])
        try Self.outcomes[Int(claim.outcome!.rawValue)].withUnsafeBufferPointer { (name) throws(PostgresError) in
            try writer.bytes(name)
        }
        try writer.bytes(claim.bytes(.denialReason))
        writer.numeric(cents: claim.amounts[0])
        writer.numeric(cents: claim.amounts[1])
        writer.numeric(cents: claim.amounts[2])
        try writer.bytes(claim.bytes(.patientRef))
        try writer.bytes(claim.bytes(.providerNPI))
        if rawDiffers { try writer.bytes(written) } else { writer.null() }
    }
}
