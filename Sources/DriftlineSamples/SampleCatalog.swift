/// The fixed reference data the sample generator draws from: payers, CPT codes, CARC denial codes
/// and customer ids. All of it is public, synthetic or illustrative; none of it comes from real claims.
enum SampleCatalog {
    struct Payer: Sendable {
        var name: String
        /// Share of denied claims among decided claims, before calibration (see ``SampleModel``).
        var denialRate: Double
        /// Median days from submission to decision.
        var decisionMedian: Double
        /// Typical allowed / billed ratio.
        var allowedRatio: Double
    }

    /// Ordered by market share: weights are Zipf-like (1 / rank).
    static let payers: [Payer] = [
        Payer(name: "MEDICARE", denialRate: 0.08, decisionMedian: 12, allowedRatio: 0.42),
        Payer(name: "UNITEDHEALTHCARE", denialRate: 0.14, decisionMedian: 16, allowedRatio: 0.62),
        Payer(name: "MEDICAID", denialRate: 0.18, decisionMedian: 22, allowedRatio: 0.35),
        Payer(name: "AETNA", denialRate: 0.12, decisionMedian: 14, allowedRatio: 0.64),
        Payer(name: "BCBS-TX", denialRate: 0.10, decisionMedian: 13, allowedRatio: 0.66),
        Payer(name: "CIGNA", denialRate: 0.13, decisionMedian: 15, allowedRatio: 0.63),
        Payer(name: "HUMANA", denialRate: 0.11, decisionMedian: 14, allowedRatio: 0.45),
        Payer(name: "ANTHEM", denialRate: 0.12, decisionMedian: 15, allowedRatio: 0.65),
        Payer(name: "BCBS-CA", denialRate: 0.10, decisionMedian: 13, allowedRatio: 0.66),
        Payer(name: "KAISER", denialRate: 0.07, decisionMedian: 10, allowedRatio: 0.60),
        Payer(name: "CENTENE", denialRate: 0.17, decisionMedian: 20, allowedRatio: 0.38),
        Payer(name: "MOLINA", denialRate: 0.19, decisionMedian: 21, allowedRatio: 0.36),
        Payer(name: "WELLCARE", denialRate: 0.16, decisionMedian: 19, allowedRatio: 0.44),
        Payer(name: "TRICARE", denialRate: 0.09, decisionMedian: 18, allowedRatio: 0.48),
        Payer(name: "BCBS-IL", denialRate: 0.10, decisionMedian: 13, allowedRatio: 0.66),
        Payer(name: "HIGHMARK", denialRate: 0.11, decisionMedian: 14, allowedRatio: 0.64),
        Payer(name: "BCBS-FL", denialRate: 0.11, decisionMedian: 14, allowedRatio: 0.65),
        Payer(name: "CAREFIRST", denialRate: 0.10, decisionMedian: 12, allowedRatio: 0.66),
        Payer(name: "OSCAR", denialRate: 0.15, decisionMedian: 17, allowedRatio: 0.60),
        Payer(name: "AMBETTER", denialRate: 0.18, decisionMedian: 20, allowedRatio: 0.55),
        Payer(name: "HEALTHNET", denialRate: 0.14, decisionMedian: 17, allowedRatio: 0.58),
        Payer(name: "EMBLEMHEALTH", denialRate: 0.15, decisionMedian: 18, allowedRatio: 0.60),
        Payer(name: "UMR", denialRate: 0.13, decisionMedian: 16, allowedRatio: 0.62),
        Payer(name: "OXFORD", denialRate: 0.12, decisionMedian: 15, allowedRatio: 0.63),
        Payer(name: "GEHA", denialRate: 0.09, decisionMedian: 12, allowedRatio: 0.64),
    ]

    enum Section: Int, CaseIterable, Sendable {
        case evaluationManagement, laboratory, radiology, medicine, surgery, anesthesia, categoryII, categoryIII

        /// Share of all claim lines in the section.
        var share: Double {
            switch self {
            case .evaluationManagement: 0.55
            case .laboratory: 0.16
            case .radiology: 0.09
            case .medicine: 0.12
            case .surgery: 0.055
            case .anesthesia: 0.012
            case .categoryII: 0.010
            case .categoryIII: 0.003
            }
        }
    }

    struct Procedure: Sendable {
        var code: String
        var section: Section
        /// Relative frequency within the section.
        var weight: Double
        /// Typical billed charge in cents.
        var price: Int64
    }

    private static func codes(_ section: Section, _ entries: [(String, Double, Double)]) -> [Procedure] {
        entries.map { Procedure(code: $0.0, section: section, weight: $0.1, price: Int64(($0.2 * 100).rounded())) }
    }

    /// 152 codes: mostly E&M, then labs, medicine, radiology, some surgery, anesthesia, Category II/III.
    static let procedures: [Procedure] =
        codes(
            .evaluationManagement,
            [
                ("99202", 3, 120), ("99203", 6, 180), ("99204", 4, 270), ("99205", 1.5, 350),
                ("99211", 2, 45), ("99212", 4, 95), ("99213", 20, 150), ("99214", 18, 220), ("99215", 5, 300),
                ("99221", 1, 200), ("99222", 1.5, 280), ("99223", 2, 390), ("99231", 2, 90), ("99232", 4, 140),
                ("99233", 2.5, 200), ("99234", 0.3, 260), ("99235", 0.3, 340), ("99236", 0.2, 430),
                ("99238", 1.2, 140), ("99239", 1.5, 200),
                ("99281", 0.3, 60), ("99282", 0.8, 110), ("99283", 2.5, 190), ("99284", 3, 340), ("99285", 2.5, 520),
                ("99291", 1, 560), ("99292", 0.3, 260), ("99304", 0.3, 180), ("99306", 0.3, 300),
                ("99308", 0.6, 120), ("99309", 0.6, 170),
                ("99385", 0.6, 260), ("99386", 0.8, 290), ("99387", 0.5, 310), ("99395", 0.8, 240),
                ("99396", 1.2, 260), ("99397", 0.9, 280),
                ("99495", 0.4, 300), ("99496", 0.3, 420), ("99497", 0.3, 160),
            ]
        )
        + codes(
            .laboratory,
            [
                ("80048", 3, 45), ("80053", 6, 60), ("80061", 5, 55), ("80069", 0.5, 50), ("80076", 0.8, 45),
                ("81001", 2.5, 20), ("81003", 1, 15), ("82306", 2, 110), ("82565", 1, 25), ("82947", 1, 20),
                ("83036", 4, 40), ("84153", 1.2, 70), ("84439", 1.5, 45), ("84443", 4, 55), ("85025", 7, 30),
                ("85027", 1, 25), ("85610", 1.5, 20), ("86580", 0.3, 30), ("86803", 0.3, 60), ("87086", 1, 35),
                ("87491", 0.8, 120), ("87591", 0.7, 120), ("87635", 0.8, 150), ("87880", 0.8, 40),
                ("88305", 1.2, 160), ("36415", 6, 15),
            ]
        )
        + codes(
            .radiology,
            [
                ("70450", 0.8, 400), ("70551", 0.4, 1100), ("70553", 0.3, 1600), ("71045", 1, 90),
                ("71046", 4, 120), ("71250", 0.5, 600), ("71260", 0.4, 700), ("72100", 0.8, 150),
                ("72148", 0.5, 1200), ("73030", 0.8, 110), ("73110", 0.6, 120), ("73221", 0.3, 1200),
                ("73562", 1, 130), ("73610", 0.7, 120), ("73630", 0.7, 120), ("73721", 0.4, 1200),
                ("74018", 0.5, 90), ("74176", 0.4, 800), ("74177", 0.6, 1100), ("76700", 0.4, 350),
                ("76705", 0.3, 250), ("76805", 0.3, 300), ("76856", 0.3, 300), ("77067", 1.5, 250),
                ("77080", 0.5, 180),
            ]
        )
        + codes(
            .medicine,
            [
                ("90471", 2, 35), ("90472", 0.8, 25), ("90686", 1.5, 40), ("90715", 0.4, 50), ("90750", 0.4, 220),
                ("90791", 0.3, 250), ("90834", 1.2, 160), ("90837", 1.4, 220), ("92004", 0.3, 250),
                ("92014", 0.6, 170), ("93000", 2.5, 60), ("93306", 0.6, 550), ("93880", 0.3, 450),
                ("94010", 0.4, 90), ("94640", 0.5, 40), ("96127", 0.8, 20), ("96372", 2, 45), ("96374", 0.5, 120),
                ("97110", 3, 70), ("97112", 1, 75), ("97140", 1.5, 65), ("97161", 0.4, 180), ("97530", 1, 80),
                ("98940", 0.8, 60), ("99000", 0.4, 15),
            ]
        )
        + codes(
            .surgery,
            [
                ("10060", 0.6, 250), ("10061", 0.2, 450), ("11042", 0.5, 350), ("11055", 0.3, 80),
                ("11102", 0.4, 200), ("11200", 0.2, 130), ("11721", 0.4, 90), ("12001", 0.3, 220),
                ("17000", 0.5, 140), ("17110", 0.4, 180), ("20550", 0.3, 160), ("20610", 0.8, 210),
                ("27447", 0.05, 9500), ("29826", 0.03, 6500), ("29881", 0.08, 4800), ("43235", 0.2, 1800),
                ("43239", 0.25, 2100), ("45378", 0.3, 2200), ("45380", 0.3, 2500), ("45385", 0.15, 2800),
                ("47562", 0.05, 7500), ("49505", 0.05, 5200), ("52000", 0.15, 550), ("64483", 0.15, 1400),
                ("66984", 0.15, 3800),
            ]
        )
        + codes(
            .anesthesia,
            [
                ("00142", 0.3, 900), ("00731", 0.2, 800), ("00790", 0.1, 1400), ("00812", 0.3, 700),
                ("01402", 0.05, 2200),
            ]
        )
        + codes(.categoryII, [("3074F", 0.4, 0.01), ("3075F", 0.2, 0.01), ("1036F", 0.3, 0.01), ("3044F", 0.2, 0.01)])
        + codes(.categoryIII, [("0042T", 0.7, 350), ("0191T", 0.3, 1800)])

    /// CARC group code + reason code, with relative frequency among denials.
    static let denialReasons: [(code: String, weight: Double)] = [
        ("CO-97", 14), ("CO-16", 16), ("CO-50", 9), ("CO-197", 8), ("CO-29", 4), ("CO-18", 7), ("CO-27", 5),
        ("CO-22", 4), ("CO-4", 6), ("CO-11", 4), ("CO-109", 4), ("CO-167", 3), ("CO-151", 2), ("CO-236", 2),
        ("CO-252", 2), ("PR-1", 5), ("PR-2", 2), ("PR-204", 4), ("OA-23", 4), ("OA-18", 1), ("PI-204", 2),
        ("CR-4", 1),
    ]

    /// Realistic customer ids for the largest customers; further customers are `customer-NN`.
    static let customerNames: [String] = [
        "acme-clinic", "northside-group", "lakeview-health", "riverbend-medical", "summit-orthopedics",
        "harbor-pediatrics", "pinecrest-family-care", "bayview-cardiology", "cedar-valley-clinic",
        "westgate-imaging", "sunrise-urgent-care", "meadowbrook-physicians", "oakridge-surgical",
        "clearwater-dermatology", "highland-womens-health", "brookside-internal-medicine", "silverlake-ent",
        "redwood-physical-therapy", "granite-state-gi", "mapleton-eye-center",
    ]

    static func customerIDs(count: Int) -> [String] {
        (0..<max(count, 0)).map { index in
            if index < customerNames.count { return customerNames[index] }
            let number = index + 1
            return number < 10 ? "customer-0\(number)" : "customer-\(number)"
        }
    }
}
