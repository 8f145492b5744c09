import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// Binary COPY encoding against a real server: every append stays inside the writer's buffer, and what
/// the server stores is what was written.
@Suite(.enabled(if: TestDatabase.isAvailable))
struct BinaryCopyWriterTests {
    @Test func fixedFieldsAfterAValueThatNearlyFillsTheBufferStayInsideIt() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        try connection.execute(
            "CREATE TABLE copy_probe (n bigint, s text, m bigint, d date, a numeric(12,2), b boolean)",
            operation: "create probe table"
        )
        // 19 bytes of header, 2 of tuple count, 4 of length: the text ends 2 bytes short of the buffer.
        var overflows: [Int] = []
        let text = String(repeating: "x", count: BinaryCopyWriter.initialCapacity - 19 - 2 - 4 - 4 - 12 - 2)
        let stored = try connection.copyBinary(
            into: "copy_probe",
            columns: ["n", "s", "m", "d", "a", "b"],
            operation: "COPY probe"
        ) { writer in
            func check(_ writer: borrowing BinaryCopyWriter) {
                if writer.count > writer.capacity { overflows.append(writer.count - writer.capacity) }
            }
            for row in 0..<3 {
                try writer.beginRow(fields: 6)
                writer.int64(Int64(row))
                check(writer)
                try writer.text(row == 0 ? text : "short")
                check(writer)
                writer.int64(-42)
                check(writer)
                writer.date(20_000)
                check(writer)
                writer.numeric(cents: 123_456)
                check(writer)
                writer.bool(true)
                check(writer)
            }
        }
        #expect(overflows.isEmpty, "wrote \(overflows) bytes past the buffer")
        #expect(stored == 3)
        let rows = try database.rows(
            "SELECT n::text, length(s)::text, m::text, d::text, a::text, b::text FROM copy_probe ORDER BY n"
        )
        #expect(
            rows == [
                ["0", String(text.count), "-42", "2024-10-04", "1234.56", "true"],
                ["1", "5", "-42", "2024-10-04", "1234.56", "true"],
                ["2", "5", "-42", "2024-10-04", "1234.56", "true"],
            ]
        )
    }
}
