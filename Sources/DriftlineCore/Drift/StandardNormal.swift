#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard normal distribution, as far as the drift tests need it.
package enum StandardNormal {
    /// The 97.5% quantile: `|Z| ≤ 1.959963984540054` with probability 0.95 (`scipy.stats.norm.isf(0.025)`).
    package static let quantile975 = 1.959_963_984_540_054

    /// The two-sided tail probability `P(|Z| ≥ |z|) = erfc(|z| / √2)`.
    ///
    /// `erfc` keeps full relative precision in the tails (`1 - erf` would round to 0 below about 1e-16), so
    /// p-values far below 1e-12 are exact to the last digits and q-values computed from them stay ordered.
    /// It underflows to 0 only beyond |z| ≈ 38.5.
    package static func twoSidedPValue(_ z: Double) -> Double {
        min(1, erfc(abs(z) / 2.0.squareRoot()))
    }
}
