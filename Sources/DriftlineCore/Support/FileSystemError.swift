#if canImport(Glibc)
import Glibc
#endif

/// A file system call that failed: what was being done, on which path, and the errno. Paths are the
/// pipeline's folders and upload names (already in the log); never a file's contents.
package struct FileSystemError: Error, LogSafe {
    package var operation: String
    package var path: String
    package var code: Int32

    /// From the `errno` of the call that just failed.
    package init(_ operation: String, path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    package var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
    }
}
