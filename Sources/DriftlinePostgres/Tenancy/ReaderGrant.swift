import DriftlineCore

/// `driftline db grant-reader ROLE --customer ID`: lets a login role read one customer's rows and nothing
/// else, by making it a `driftline_reader` member and recording `(role, customer)` in
/// `driftline.reader_customers`, which the readers' policies consult by `session_user`. No `SET` a BI tool
/// sends can change `session_user`, unlike a per-role default of `driftline.customer_id`.
package enum ReaderGrant {
    /// Why a grant was refused (the role and customer ids are the operator's, from the command line).
    package struct Refusal: Error, LogSafe {
        package var description: String
    }

    /// The `customers.customer_id` CHECK: `^[a-z0-9][a-z0-9._-]{0,63}$`.
    static func isCustomerID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 64, isLowerAlnum(first) else { return false }
        return bytes.allSatisfy {
            isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Grants `role` read access to `customerID`'s rows (idempotent).
    package static func grant(role: String, customerID: String, on connection: PGConnection) throws {
        guard isCustomerID(customerID) else {
            throw Refusal(
                description: "'\(customerID)' is not a customer id (lower-case letters, digits, '.', '_', '-')"
            )
        }
        try connection.transaction {
            try checkGrantable(role, on: connection)
            try connection.execute(
                "GRANT \(TenantRole.reader.rawValue) TO \(PGConnection.quotedIdentifier(role))",
                operation: "grant reader role"
            )
            try connection.query(
                "INSERT INTO driftline.reader_customers (role_name, customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [role, customerID],
                operation: "grant reader customer"
            )
        }
    }

    /// Takes `customerID` away from `role`; the role leaves `driftline_reader` when it has no customer left.
    package static func revoke(role: String, customerID: String, on connection: PGConnection) throws {
        try connection.transaction {
            try connection.query(
                "DELETE FROM driftline.reader_customers WHERE role_name = $1 AND customer_id = $2",
                [role, customerID],
                operation: "revoke reader customer"
            )
            let left = try connection.query(
                "SELECT count(*) FROM driftline.reader_customers WHERE role_name = $1",
                [role],
                operation: "count reader customers"
            ).scalar
            let exists = try !connection.query(
                "SELECT 1 FROM pg_roles WHERE rolname = $1",
                [role],
                operation: "look up role"
            ).isEmpty
            if left == "0" && exists {
                try connection.execute(
                    "REVOKE \(TenantRole.reader.rawValue) FROM \(PGConnection.quotedIdentifier(role))",
                    operation: "revoke reader role"
                )
            }
        }
    }

    /// A reader must be an ordinary login role: a superuser, a BYPASSRLS role or a member of the pipeline's
    /// roles would see more than its customer whatever the mapping says.
    private static func checkGrantable(_ role: String, on connection: PGConnection) throws {
        let row = try connection.query(
            """
            SELECT rolsuper OR rolbypassrls,
                   EXISTS (SELECT 1 FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid
                            WHERE am.member = r.oid AND g.rolname = ANY($2::text[]))
              FROM pg_roles r WHERE rolname = $1
            """,
            [
                role,
                "{\(TenantRole.loader.rawValue),\(TenantRole.owner.rawValue),\(TenantRole.bulk.rawValue)}",
            ],
            operation: "look up reader role"
        ).first
        guard let row else {
            throw Refusal(description: "role '\(role)' does not exist (CREATE ROLE \(role) LOGIN … first)")
        }
        guard row[0] == "f" else {
            throw Refusal(description: "role '\(role)' is a superuser or BYPASSRLS: it would see every customer")
        }
        guard row[1] == "f", !TenantRole.allCases.map(\.rawValue).contains(role) else {
            throw Refusal(
                description: "role '\(role)' is (a member of) driftline_loader, driftline_owner or driftline_bulk: "
                    + "a reader must be a role of its own"
            )
        }
    }
}
