import DriftlineCore

/// Writes a validated claim's 15 columns (the order of ``UploadLoader/claimColumns``) as binary COPY fields.
struct ClaimEncoder {
    private let groupNames: [[UInt8]]
    private static let outcomes = Outcome.allCases.map { Array($0.description.utf8) }

    init(groups: CPTGroups) {
        groupNames = groups.names.map { Array($0.utf8) }
    }

    @inline(__always)
    func write(_ claim: ClaimRow, to writer: inout BinaryCopyWriter) throws(PostgresError) {
        try writer.bytes(claim.bytes(.customerID))
        try writer.bytes(claim.bytes(.claimID))
        try writer.bytes(claim.bytes(.payer))
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
    }
}
