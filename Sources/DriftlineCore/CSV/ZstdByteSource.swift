import CZstd

/// Decompresses a zstd stream while reading it; a stream that ends inside a frame is an error.
package final class ZstdByteSource: ByteSource {
    private let upstream: any ByteSource
    private let context: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inputBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var upstreamEnded = false
    /// The last `ZSTD_decompressStream` result: 0 when a frame has just been completed.
    private var frameRemainder: Int = 0
    private var sawInput = false

    package init(upstream: any ByteSource) {
        self.upstream = upstream
        self.context = ZSTD_createDCtx()
        self.input = .allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
        inputBuffer.src = UnsafeRawPointer(input.baseAddress)
    }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        while output.pos == 0 {
            if inputBuffer.pos == inputBuffer.size && !upstreamEnded {
                let count = try upstream.read(into: input)
                if count == 0 { upstreamEnded = true } else { sawInput = true }
                inputBuffer.size = count
                inputBuffer.pos = 0
            }
            // With no input left this still flushes what the decoder holds.
            let consumedBefore = inputBuffer.pos
            let result = ZSTD_decompressStream(context, &output, &inputBuffer)
            if ZSTD_isError(result) != 0 {
                throw InputError(.corruptCompressed, "the zstd stream is corrupt")
            }
            // A call that neither read nor wrote anything only asks for the next frame's header:
            // it does not make a finished frame unfinished.
            if inputBuffer.pos != consumedBefore || output.pos > 0 { frameRemainder = result }
            if output.pos == 0 && upstreamEnded && inputBuffer.pos == inputBuffer.size { break }
        }
        if output.pos == 0 && (frameRemainder != 0 || !sawInput) {
            throw InputError(.truncatedCompressed, "the zstd stream is truncated")
        }
        return output.pos
    }
}
