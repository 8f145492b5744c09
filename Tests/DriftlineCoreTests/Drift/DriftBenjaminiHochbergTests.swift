import DriftlineCore
import Testing

@Suite("Drift: Benjamini–Hochberg, published and hand-checked")
struct DriftBenjaminiHochbergTests {
    /// Benjamini & Hochberg (1995), J. R. Statist. Soc. B 57:289–300, section 4: 15 p-values from a study of
    /// Neuhaus et al.; at q = 0.05 the step-up procedure rejects the four smallest (p(4) = 0.0095 ≤ 4/15·0.05
    /// = 0.0133, while p(5) = 0.0201 > 0.0167 and no later p(i) ≤ i/15·0.05).
    static let neuhaus = [
        0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528,
        0.7590, 1.0000,
    ]

    @Test("the 1995 paper's example rejects exactly the four smallest at 0.05")
    func paperExample() {
        let q = BenjaminiHochberg.adjust(Self.neuhaus)
        #expect(q.filter { $0 <= 0.05 }.count == 4)
        #expect(q.prefix(4).allSatisfy { $0 <= 0.05 })
    }

    @Test("the q-values by hand: p(i)·m/i, the minimum over the larger ones, capped at 1")
    func handChecked() {
        let q = BenjaminiHochberg.adjust(Self.neuhaus)
        // 0.0001·15/1, 0.0004·15/2, 0.0019·15/3, 0.0095·15/4, 0.0201·15/5,
        // then 0.0278·15/6 = 0.0695 gives way to 0.0298·15/7 = 0.063857…, which also serves rank 7;
        // 0.0344·15/8 = 0.0645, 0.0459·15/9 = 0.0765, 0.3240·15/10 = 0.486, …, 1.0·15/15 = 1.
        let expected = [
            0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0298 * 15 / 7, 0.0298 * 15 / 7, 0.0645, 0.0765, 0.486,
            0.4262 * 15 / 11, 0.5719 * 15 / 12, 0.6528 * 15 / 13, 0.7590 * 15 / 14, 1,
        ]
        for (index, (actual, value)) in zip(q, expected).enumerated() {
            #expect(abs(actual - value) <= 1e-12 * value, "rank \(index + 1): \(actual) vs \(value)")
        }
    }

    @Test("order is kept, ties share a q-value, q is monotone in p and never above 1")
    func shape() {
        let p = [0.04, 0.01, 0.9, 0.01, 0.03]
        let q = BenjaminiHochberg.adjust(p)
        // sorted: 0.01, 0.01, 0.03, 0.04, 0.9 → 0.025, 0.025, 0.05, 0.05, 0.9
        #expect(q[1] == q[3])
        #expect(abs(q[1] - 0.025) < 1e-15 && abs(q[4] - 0.05) < 1e-15 && abs(q[0] - 0.05) < 1e-15)
        #expect(q[2] == 0.9)
        #expect(BenjaminiHochberg.adjust([0.5, 0.9, 0.99]).allSatisfy { $0 <= 1 })
        #expect(BenjaminiHochberg.adjust([]) == [])
        #expect(BenjaminiHochberg.adjust([0.2]) == [0.2])
    }
}
