import DriftlineCore
import Foundation

/// Writes synthetic claim uploads in the inbox layout: deterministic per seed, streaming, fast.
///
/// Every value is synthetic: claim ids `C<run tag>-K<customer no>-S<sequence>`, patient refs `P` + 8 hex,
/// NPIs with valid check digits drawn at random. Valid rows satisfy the upload format and realism rules
/// (dates ordered and before the as-of date, `paid <= allowed <= billed`, outcome-dependent fields).
/// See ``SampleModel`` for the time model and drift windows, ``SampleDirtyKind`` for dirty lines.
package struct SampleGenerator: Sendable {
    package struct Configuration: Sendable {
        /// Total data rows across all customer files.
        package var rows: Int
        /// Number of customers (files); ids are a fixed list of realistic names, then `customer-NN`.
        package var customers: Int
        package var seed: UInt64
        /// Fraction of data rows replaced by a bad row (0 = clean); `round(fraction × rows)` lines in total.
        package var dirtyFraction: Double
        /// Plant drift in the current window and write `drift-truth.csv`.
        package var drift: Bool
        /// With `drift`: how many (payer, metric) drifts to plant, worse or better (`nil`: the default set, see
        /// ``SampleModel``); at most 50.
        package var driftCount: Int?
        /// The as-of (run) date as a civil date; every generated date is before it.
        package var asOf: (year: Int, month: Int, day: Int)
        /// Explicit customer ids (lowercase letters, digits, hyphens) instead of the generated list;
        /// when set, `customers` is ignored and the first id gets the largest share.
        package var customerIDs: [String]?
        /// How the files look (``SampleStyle``).
        package var style: SampleStyle
        /// Days of decisions before the as-of date: the history's length (the rows spread evenly over it, so
        /// twice the days and twice the rows keep the drift windows' volume).
        package var historyDays: Int

        package init(
            rows: Int,
            customers: Int,
            seed: UInt64,
            dirtyFraction: Double = 0,
            drift: Bool = false,
            asOf: (year: Int, month: Int, day: Int) = (2026, 11, 21),
            customerIDs: [String]? = nil,
            style: SampleStyle = .canonical,
            driftCount: Int? = nil,
            historyDays: Int = SampleGenerator.defaultHistoryDays
        ) {
            self.historyDays = historyDays
            self.driftCount = driftCount
            self.style = style
            self.rows = rows
            self.customers = customers
            self.seed = seed
            self.dirtyFraction = dirtyFraction
            self.drift = drift
            self.asOf = asOf
            self.customerIDs = customerIDs
        }

        /// The customer ids the run writes, largest first.
        package var effectiveCustomerIDs: [String] { customerIDs ?? SampleCatalog.customerIDs(count: customers) }
    }

    package struct Summary: Sendable {
        package struct File: Sendable {
            package var customerID: String
            /// Relative to the output directory: `<customer_id>/claims-<seed>.csv`.
            package var path: String
            package var rows: Int
            package var badLines: Int
        }

        package var files: [File]
        package var rows: Int
        package var badLines: Int
        /// `dirty-lines.csv` when dirty, relative to the output directory.
        package var dirtyLinesPath: String?
        /// `drift-truth.csv` when drifting, relative to the output directory.
        package var driftTruthPath: String?
    }

    /// The upload columns in order.
    package static let columns = [
        "claim_id", "customer_id", "payer", "cpt_code", "service_date", "submitted_date", "decided_date", "outcome",
        "denial_reason", "billed_amount", "allowed_amount", "paid_amount", "patient_ref", "provider_npi",
    ]
    package static let header = columns.joined(separator: ",")
    package static let dirtyLinesFile = "dirty-lines.csv"
    package static let driftTruthFile = "drift-truth.csv"
    /// Days of decisions a history holds unless told otherwise (with decision times and submission lags, the
    /// service dates span about two years, within the rules' three years of timely filing).
    package static let defaultHistoryDays = 560

    package let configuration: Configuration

    package init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Writes one file per customer: DIR/<customer_id>/claims-<seed>.csv (the inbox layout inbox/<customer>/...),
    /// plus, when dirty, DIR/dirty-lines.csv (file,line,kind) listing every bad line injected (line numbers are
    /// physical lines, header = 1), plus, when drift, DIR/drift-truth.csv (payer,metric,baseline,current) with
    /// metric `denial_rate` (denied / decided claims) or `decision_days` (median decided - submitted), windows
    /// by decided_date: current = the 30 days before as-of, baseline = the 90 days before that.
    /// Existing files of the same names are replaced.
    package func write(to directory: URL) throws(SampleGeneratorError) -> Summary {
        let config = configuration
        let customers = config.effectiveCustomerIDs
        try validate(config, customers: customers)

        let asOf = Int(
            CivilDate.days(year: Int32(config.asOf.year), month: Int32(config.asOf.month), day: Int32(config.asOf.day))
        )
        let model = SampleModel(
            asOf: asOf,
            seed: config.seed,
            drift: config.drift,
            driftCount: config.driftCount,
            decidedSpan: config.historyDays
        )
        let rowCounts = SampleModel.customerRows(rows: config.rows, customers: customers.count)
        let totalDirty = Int((config.dirtyFraction * Double(config.rows)).rounded())
        let dirtyCounts = SampleModel.apportion(totalDirty, weights: rowCounts.map(Double.init))

        try makeDirectory(directory)
        let dirtyWriter: SampleByteWriter?
        if config.dirtyFraction > 0 {
            let writer = try SampleByteWriter(
                url: directory.appendingPathComponent(Self.dirtyLinesFile),
                capacity: 1 << 16
            )
            try writer.text("file,line,kind\n")
            dirtyWriter = writer
        } else {
            dirtyWriter = nil
        }

        var files: [Summary.File] = []
        var kindCounter = Int(SampleRandom.mix(config.seed ^ 0xB4D) % UInt64(SampleDirtyKind.allCases.count))
        for (index, customer) in customers.enumerated() {
            let folder = directory.appendingPathComponent(customer, isDirectory: true)
            try makeDirectory(folder)
            let name = "claims-\(config.seed)" + (config.style == .mapped ? ".psv" : ".csv")
            if config.style == .mapped {
                let profiles = directory.appendingPathComponent("profiles", isDirectory: true)
                try makeDirectory(profiles)
                let writer = try SampleByteWriter(
                    url: profiles.appendingPathComponent(customer + ".yaml"),
                    capacity: 4096
                )
                try writer.text(SampleStyle.mappedProfile)
                try writer.close()
            }
            let relative = customer + "/" + name
            let relativeBytes = Array(relative.utf8)
            var generator = SampleCustomerFile(
                model: model,
                customerIndex: index,
                customerID: customer,
                rows: rowCounts[index],
                seed: config.seed,
                style: config.style
            )
            var bad = 0
            try generator.write(
                rows: rowCounts[index],
                dirty: dirtyCounts[index],
                to: folder.appendingPathComponent(name),
                kindCounter: &kindCounter
            ) { (line: Int, kind: SampleDirtyKind) throws(SampleGeneratorError) in
                bad += 1
                guard let dirtyWriter else { return }
                try dirtyWriter.reserve(relativeBytes.count + 64)
                dirtyWriter.bytes(relativeBytes)
                dirtyWriter.byte(UInt8(ascii: ","))
                dirtyWriter.digits(line, width: 1)
                dirtyWriter.byte(UInt8(ascii: ","))
                dirtyWriter.bytes(Array(kind.rawValue.utf8))
                dirtyWriter.byte(UInt8(ascii: "\n"))
            }
            files.append(Summary.File(customerID: customer, path: relative, rows: rowCounts[index], badLines: bad))
        }
        try dirtyWriter?.close()

        var driftPath: String?
        if config.drift {
            let writer = try SampleByteWriter(
                url: directory.appendingPathComponent(Self.driftTruthFile),
                capacity: 1 << 16
            )
            var text = "payer,metric,baseline,current\n"
            for truth in model.truth {
                let format = truth.metric == "denial_rate" ? "%.4f" : "%.1f"
                text += "\(truth.payer),\(truth.metric),\(String(format: format, truth.baseline)),"
                text += "\(String(format: format, truth.current))\n"
            }
            try writer.text(text)
            try writer.close()
            driftPath = Self.driftTruthFile
        }

        return Summary(
            files: files,
            rows: rowCounts.reduce(0, +),
            badLines: files.reduce(0) { $0 + $1.badLines },
            dirtyLinesPath: dirtyWriter == nil ? nil : Self.dirtyLinesFile,
            driftTruthPath: driftPath
        )
    }

    private func validate(_ config: Configuration, customers: [String]) throws(SampleGeneratorError) {
        func fail(_ reason: String) -> SampleGeneratorError {
            SampleGeneratorError(path: "configuration", reason: reason)
        }
        guard config.rows >= 0 else { throw fail("rows must not be negative") }
        guard !customers.isEmpty else { throw fail("at least one customer is needed") }
        guard (1...20_000).contains(config.historyDays) else { throw fail("history days must be between 1 and 20000") }
        if let count = config.driftCount {
            guard (1...2 * SampleCatalog.payers.count).contains(count) else {
                throw fail("drift count must be between 1 and twice the number of payers")
            }
        }
        guard config.dirtyFraction >= 0, config.dirtyFraction <= 1 else {
            throw fail("dirty fraction must be in 0...1")
        }
        let (year, month, day) = config.asOf
        guard (1900...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= CivilDate.daysInMonth(year: Int32(year), month: Int32(month))
        else {
            throw fail("as-of date is not a valid date")
        }
        var seen = Set<String>()
        for id in customers {
            let valid =
                !id.isEmpty && id.utf8.count <= 48
                && id.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
            guard valid else { throw fail("customer ids must be 1-48 lowercase letters, digits or hyphens") }
            guard seen.insert(id).inserted else { throw fail("duplicate customer id") }
        }
    }

    private func makeDirectory(_ url: URL) throws(SampleGeneratorError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw SampleGeneratorError(path: url.path, reason: "cannot create the directory")
        }
    }
}
