import Foundation

/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64).
///
/// The sample generator never uses `SystemRandomNumberGenerator` or the standard library's
/// random APIs (whose algorithms may change between releases), so a seed always yields the same bytes.
struct SampleRandom: Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    private var spareNormal: Double?

    init(seed: UInt64) {
        var state = seed
        s0 = Self.splitMix(&state)
        s1 = Self.splitMix(&state)
        s2 = Self.splitMix(&state)
        s3 = Self.splitMix(&state)
        spareNormal = nil
    }

    /// A generator for an independent stream derived from `seed` and `stream`.
    init(seed: UInt64, stream: UInt64) {
        self.init(seed: Self.mix(seed ^ Self.mix(stream &+ 0x632B_E59B_D9B4_E019)))
    }

    /// SplitMix64 step.
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix(state)
    }

    /// The SplitMix64 finalizer: a good 64-bit mixing function.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<bound (bound > 0), by multiply-shift (bias below 2^-32, irrelevant here).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        Int(((next() >> 32) &* UInt64(UInt32(truncatingIfNeeded: bound))) >> 32)
    }

    @inline(__always)
    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// Standard normal (Box-Muller, caching the second value).
    mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u = unit()
        while u <= 0x1.0p-60 { u = unit() }
        let v = unit()
        let radius = (-2 * log(u)).squareRoot()
        let angle = 2 * Double.pi * v
        spareNormal = radius * sin(angle)
        return radius * cos(angle)
    }

    /// Exponential with mean 1.
    mutating func exponential() -> Double {
        var u = unit()
        while u <= 0x1.0p-60 { u = unit() }
        return -log(u)
    }

    /// Index drawn from a cumulative weight table (last entry = total).
    @inline(__always)
    mutating func pick(_ cumulative: [Double]) -> Int {
        let target = unit() * cumulative[cumulative.count - 1]
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) >> 1
            if cumulative[mid] <= target { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Fisher-Yates shuffle with this generator.
    mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(index, below(index + 1))
        }
    }
}
