import Foundation

/// Generates and writes the claims file of one customer, streaming row by row.
struct SampleCustomerFile {
    private let model: SampleModel
    private let customerID: [UInt8]
    /// `C` + run tag (6 hex) + `-K` + customer number + `-S`; the row sequence follows, e.g. `C5F9074-K001-S0000088`.
    /// The letters keep digit groups apart, so no claim id looks like an SSN or phone number to a PHI scan.
    private let claimPrefix: [UInt8]
    private var rng: SampleRandom
    private let payerCumulative: [Double]
    private let procedureCumulative: [Double]
    private let priceFactor: Double
    private let npis: [UInt64]
    private let patientSalt: UInt64
    private let patientPool: Int
    private let style: SampleStyle
    /// Per catalog payer, its spellings as the file writes them (realistic styles), else its catalog name.
    private let payerSpellings: [[[UInt8]]]
    private let delimiter: UInt8
    /// Catalog indices of government payers.
    private let governmentPayers: Set<Int>
    private static let correctionGroup = Array("CR".utf8)

    private static let comma = UInt8(ascii: ",")
    private static let newline = UInt8(ascii: "\n")
    private static let paidText = Array("paid".utf8)
    private static let deniedText = Array("denied".utf8)
    private static let pendingText = Array("pending".utf8)
    private static let unknownOutcomes = ["approved", "rejected", "in_review", "void", "partial"].map { Array($0.utf8) }
    private static let impossibleDates = [
        "2026-02-30", "2025-02-29", "2025-04-31", "2025-11-31", "2026-06-31", "2025-09-31",
    ].map { Array($0.utf8) }

    init(
        model: SampleModel,
        customerIndex: Int,
        customerID: String,
        rows: Int,
        seed: UInt64,
        style: SampleStyle = .canonical
    ) {
        self.model = model
        self.style = style
        delimiter = style == .mapped ? UInt8(ascii: "|") : Self.comma
        governmentPayers = Set(
            model.payerNames.indices.filter {
                ["MEDICARE", "MEDICAID", "TRICARE"].contains(String(decoding: model.payerNames[$0], as: UTF8.self))
            }
        )
        payerSpellings = model.payerNames.map { name in
            let catalog = String(decoding: name, as: UTF8.self)
            guard style.realisticContent, let spellings = SampleStyle.spellings[catalog] else { return [name] }
            return spellings.map { style == .mapped ? SampleStyle.windows1252($0) : Array($0.utf8) }
        }
        self.customerID = Array(customerID.utf8)
        var prefix = "C"
        let tag = SampleRandom.mix(seed ^ 0x5EED_7A6) & 0xFF_FFFF
        let hex = String(tag, radix: 16, uppercase: true)
        prefix += String(repeating: "0", count: 6 - hex.count) + hex + "-"
        let number = String(customerIndex + 1)
        prefix += "K" + String(repeating: "0", count: max(0, 3 - number.count)) + number + "-S"
        claimPrefix = Array(prefix.utf8)

        var setup = SampleRandom(seed: seed, stream: 0xC057_0000 &+ UInt64(customerIndex))
        rng = SampleRandom(seed: seed, stream: 0xA0_0000_0000 &+ UInt64(customerIndex))

        // Each customer has its own payer and specialty mix around the global one.
        payerCumulative = SampleModel.cumulative(model.payerWeights.map { $0 * exp(0.4 * setup.normal()) })
        procedureCumulative = SampleModel.cumulative(model.procedureWeights.map { $0 * exp(0.5 * setup.normal()) })
        priceFactor = 0.9 + 0.7 * setup.unit()

        let providerCount = min(60, 3 + rows / 2_000 + setup.below(6))
        var npis: [UInt64] = []
        for _ in 0..<providerCount {
            var value: UInt64 = setup.chance(0.85) ? 1 : 2
            for _ in 0..<8 { value = value * 10 + UInt64(setup.below(10)) }
            npis.append(value * 10 + UInt64(Self.npiCheckDigit(value)))
        }
        self.npis = npis
        patientSalt = setup.next()
        patientPool = max(10, rows / 3)
    }

    /// NPI check digit of a 9-digit prefix: Luhn over "80840" + the prefix.
    static func npiCheckDigit(_ prefix: UInt64) -> Int {
        var sum = 24  // the doubled-and-summed contribution of the "80840" prefix
        var value = prefix
        var double = true  // rightmost prefix digit sits next to the check digit, so it is doubled
        for _ in 0..<9 {
            var digit = Int(value % 10)
            value /= 10
            if double {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
            double.toggle()
        }
        return (10 - sum % 10) % 10
    }

    /// Writes the header and `rows` rows, `dirty` of them defective; reports each dirty line (1-based, header = 1).
    mutating func write(
        rows: Int,
        dirty: Int,
        to url: URL,
        kindCounter: inout Int,
        report: (Int, SampleDirtyKind) throws(SampleGeneratorError) -> Void
    ) throws(SampleGeneratorError) {
        let writer = try SampleByteWriter(url: url)
        try writer.text((style == .mapped ? SampleStyle.mappedHeader : SampleGenerator.header) + "\n")
        var remainingDirty = min(dirty, rows)
        var cleanCount = 0
        var duplicateSource = 0
        let kinds = SampleDirtyKind.allCases
        for index in 0..<rows {
            let sequence = index + 1
            var claim: SampleClaim
            if remainingDirty > 0, rng.below(rows - index) < remainingDirty {
                remainingDirty -= 1
                var kind = kinds[kindCounter % kinds.count]
                kindCounter += 1
                if kind == .duplicateClaimID, cleanCount == 0 {
                    kind = kinds[kindCounter % kinds.count]
                    kindCounter += 1
                }
                claim = makeDirtyClaim(sequence: sequence, kind: kind, duplicateOf: duplicateSource)
                try report(index + 2, kind)
            } else {
                claim = makeClaim(sequence: sequence, forcing: nil)
                cleanCount += 1
                if rng.below(cleanCount) == 0 { duplicateSource = sequence }
            }
            try writer.reserve(512)
            serialize(claim, into: writer)
        }
        try writer.close()
    }

    // MARK: - Generation

    private mutating func makeClaim(sequence: Int, forcing forced: SampleClaim.Outcome?) -> SampleClaim {
        let payer = rng.pick(payerCumulative)
        let procedure = rng.pick(procedureCumulative)
        let asOf = model.asOf
        var outcome: SampleClaim.Outcome
        let submitted: Int
        var decided = -1
        if forced == .pending || (forced == nil && rng.chance(SampleModel.pendingShare)) {
            outcome = .pending
            submitted = asOf - 1 - min(Int(rng.exponential() * 15), 59)
        } else {
            decided = asOf - 1 - rng.below(model.decidedSpan)
            let current = model.drift && decided >= model.currentStart
            if let forced {
                outcome = forced
            } else {
                let rate = current ? model.denialCurrent[payer] : model.denialBaseline[payer]
                outcome = rng.chance(rate) ? .denied : .paid
            }
            let mu = current ? model.decisionMuCurrent[payer] : model.decisionMuBaseline[payer]
            let days = Int(exp(mu + SampleModel.decisionSigma * rng.normal()).rounded())
            submitted = decided - min(max(days, 1), SampleModel.maxDecisionDays)
        }
        let lag = min(Int(rng.exponential() * 4), SampleModel.maxSubmissionLag)
        let service = submitted - lag

        let price = model.procedurePrices[procedure]
        var billed: Int64
        if price < 100 {
            billed = price
        } else {
            billed = Int64((Double(price) * priceFactor * exp(0.08 * rng.normal())).rounded())
            if rng.chance(0.7) { billed = max(100, (billed + 50) / 100 * 100) }
        }
        billed = max(billed, 1)

        var allowed = SampleClaim.noAmount
        var paid = SampleClaim.noAmount
        var reason = -1
        switch outcome {
        case .paid:
            let ratio = model.allowedRatio[payer] * exp(0.1 * rng.normal())
            allowed = min(billed, Int64((Double(billed) * ratio).rounded()))
            paid = rng.chance(0.3) ? allowed : Int64((Double(allowed) * (0.7 + 0.25 * rng.unit())).rounded())
            paid = min(paid, allowed)
        case .denied:
            reason = rng.pick(model.reasonCumulative)
            if rng.chance(0.7) {
                allowed = 0
                paid = 0
            }
        case .pending:
            if style.realisticContent {
                // As most systems write them: zero until the claim is decided.
                allowed = 0
                paid = 0
            }
        }
        var spelling = 0
        var adjustment = -1
        var compactReason = false
        if style.realisticContent {
            spelling = rng.below(payerSpellings[payer].count)
            if outcome == .paid, rng.chance(0.3) { adjustment = rng.below(SampleStyle.paidAdjustments.count) }
            if outcome == .denied {
                compactReason = rng.chance(0.2)
                // Government payers do not use the CR group code (rules/payers.yaml).
                while governmentPayers.contains(payer), model.reasonCodes[reason].starts(with: Self.correctionGroup) {
                    reason = rng.pick(model.reasonCumulative)
                }
            }
        }

        let patientIndex = UInt64(rng.below(patientPool))
        let patient = UInt32(truncatingIfNeeded: SampleRandom.mix(patientSalt ^ patientIndex) >> 32)
        let u = rng.unit()
        let npi = npis[min(npis.count - 1, Int(u * u * Double(npis.count)))]

        return SampleClaim(
            sequence: sequence,
            payer: payer,
            procedure: procedure,
            service: service,
            submitted: submitted,
            decided: decided,
            outcome: outcome,
            reason: reason,
            billed: billed,
            allowed: allowed,
            paid: paid,
            patient: patient,
            npi: npi,
            spelling: spelling,
            adjustment: adjustment,
            compactReason: compactReason
        )
    }

    private mutating func makeDirtyClaim(sequence: Int, kind: SampleDirtyKind, duplicateOf: Int) -> SampleClaim {
        var claim: SampleClaim
        switch kind {
        case .impossibleDate:
            claim = makeClaim(sequence: sequence, forcing: nil)
            claim.badDateSlot = rng.below(claim.decided >= 0 ? 3 : 2)
            claim.badDateText = Self.impossibleDates[rng.below(Self.impossibleDates.count)]
        case .negativeAmount:
            claim = makeClaim(sequence: sequence, forcing: .paid)
            claim.paid = -max(claim.paid, 1)
        case .unknownOutcome:
            claim = makeClaim(sequence: sequence, forcing: .paid)
            claim.outcomeText = Self.unknownOutcomes[rng.below(Self.unknownOutcomes.count)]
        case .missingRequired:
            claim = makeClaim(sequence: sequence, forcing: nil)
            if rng.chance(0.5) { claim.emptyPayer = true } else { claim.emptyClaimID = true }
        case .badNPI:
            claim = makeClaim(sequence: sequence, forcing: nil)
            let check = claim.npi % 10
            claim.npi = claim.npi - check + (check + 1 + UInt64(rng.below(9))) % 10
        case .wrongColumnCount:
            claim = makeClaim(sequence: sequence, forcing: nil)
            claim.droppedColumn = rng.below(SampleGenerator.columns.count)
        case .pendingWithDecidedDate:
            claim = makeClaim(sequence: sequence, forcing: .pending)
            let days = Int(exp(log(14.0) + SampleModel.decisionSigma * rng.normal()).rounded())
            claim.decided = min(claim.submitted + max(days, 1), model.asOf - 1)
        case .duplicateClaimID:
            claim = makeClaim(sequence: sequence, forcing: nil)
            claim.sequence = duplicateOf
        case .paidGreaterThanBilled:
            claim = makeClaim(sequence: sequence, forcing: .paid)
            claim.allowed = claim.billed
            claim.paid = claim.billed + max(100, claim.billed / 10)
        case .deniedWithoutReason:
            claim = makeClaim(sequence: sequence, forcing: .denied)
            claim.reason = -1
        }
        return claim
    }

    // MARK: - Serialization

    private func serialize(_ claim: SampleClaim, into writer: SampleByteWriter) {
        var first = true
        for column in 0..<14 where column != claim.droppedColumn {
            if first { first = false } else { writer.byte(delimiter) }
            switch column {
            case 0:
                if !claim.emptyClaimID {
                    writer.bytes(claimPrefix)
                    writer.digits(claim.sequence, width: 7)
                }
            case 1: writer.bytes(customerID)
            case 2: if !claim.emptyPayer { writer.bytes(payerSpellings[claim.payer][claim.spelling]) }
            case 3: writer.bytes(model.procedureCodes[claim.procedure])
            case 4: date(claim.service, slot: 0, claim, writer)
            case 5: date(claim.submitted, slot: 1, claim, writer)
            case 6: if claim.decided >= 0 || claim.badDateSlot == 2 { date(claim.decided, slot: 2, claim, writer) }
            case 7:
                if let text = claim.outcomeText {
                    writer.bytes(text)
                } else {
                    switch claim.outcome {
                    case .paid: writer.bytes(Self.paidText)
                    case .denied: writer.bytes(Self.deniedText)
                    case .pending: writer.bytes(Self.pendingText)
                    }
                }
            case 8:
                if claim.reason >= 0 {
                    let code = model.reasonCodes[claim.reason]
                    writer.bytes(claim.compactReason ? code.filter { $0 != UInt8(ascii: "-") } : code)
                } else if claim.adjustment >= 0 {
                    writer.bytes(SampleStyle.paidAdjustments[claim.adjustment])
                }
            case 9: amount(claim.billed, writer)
            case 10: if claim.allowed != SampleClaim.noAmount { amount(claim.allowed, writer) }
            case 11: if claim.paid != SampleClaim.noAmount { amount(claim.paid, writer) }
            case 12:
                if style.realisticContent {
                    // A 16-hex-digit account reference, as many systems export it.
                    writer.hex(SampleRandom.mix(UInt64(claim.patient) ^ patientSalt), width: 16)
                } else {
                    writer.byte(UInt8(ascii: "P"))
                    writer.hex(UInt64(claim.patient), width: 8)
                }
            default: writer.digits(Int(claim.npi), width: 10)
            }
        }
        writer.byte(Self.newline)
    }

    @inline(__always)
    private func date(_ days: Int, slot: Int, _ claim: SampleClaim, _ writer: SampleByteWriter) {
        if claim.badDateSlot == slot {
            writer.bytes(claim.badDateText)
        } else if style == .mapped {
            writer.usDate(days)
        } else {
            writer.date(days)
        }
    }

    @inline(__always)
    private func amount(_ cents: Int64, _ writer: SampleByteWriter) {
        if style == .mapped { writer.usCents(cents) } else { writer.cents(cents) }
    }
}
