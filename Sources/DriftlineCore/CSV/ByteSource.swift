#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of bytes read in bounded chunks.
package protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes; returns 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
}

/// Why an upload could not be read as a whole: names the file, never its contents.
package struct InputError: Error, LogSafe, Equatable {
    package enum Kind: String, Sendable, LogSafe {
        case unreadable, notAFile, truncatedCompressed, corruptCompressed
        package var description: String { rawValue }
    }
    package var kind: Kind
    package var message: SafeMessage
    package init(_ kind: Kind, _ message: SafeMessage) {
        self.kind = kind
        self.message = message
    }
    package var description: String { message.description }
}

/// Reads a regular file with `read(2)`.
///
/// An inbox is written by customers, so the file is opened without following a symbolic link
/// (`O_NOFOLLOW`), without blocking on a FIFO (`O_NONBLOCK`), and checked on the descriptor itself
/// (`fstat`): it must be a regular file with exactly one link, so neither a symlink nor a hard link can
/// make Driftline read (and report) another tenant's upload.
package final class FileByteSource: ByteSource {
    private let descriptor: Int32

    package init(path: String) throws(InputError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP {
                throw InputError(.notAFile, "a symbolic link: not followed (errno \(Int(code)))")
            }
            throw InputError(.unreadable, "cannot open the file (errno \(Int(code)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw InputError(.unreadable, "cannot stat the file (errno \(Int(code)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw InputError(.notAFile, "not a regular file")
        }
        guard info.st_nlink == 1 else {
            close(descriptor)
            throw InputError(.notAFile, "a file with more than one hard link: not read")
        }
        // Regular files never block; reads are plain blocking reads from here on.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw InputError(.unreadable, "read failed (errno \(Int(errno)))")
        }
    }
}

/// Opens `path`, decompressing on the fly when it ends in `.zst`.
package func openUpload(path: String) throws(InputError) -> any ByteSource {
    let file = try FileByteSource(path: path)
    return path.hasSuffix(".zst") ? ZstdByteSource(upstream: file) : file
}
