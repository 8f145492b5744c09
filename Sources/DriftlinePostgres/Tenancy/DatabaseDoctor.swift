import DriftlineCore

/// What `driftline db doctor` finds wrong with the database the pipeline uses: tenant isolation (RLS,
/// policies, roles, grants), server settings that decide whether PHI reaches the server log, transport
/// security, `pg_hba` and the pipeline's own privileges.
///
/// Everything it reads is catalog and settings (names, flags, setting values), never a table's rows, so
/// its findings are safe to print and log.
package enum DatabaseDoctor {
    package struct Finding: Sendable, Equatable, LogSafe {
        package enum Severity: String, Sendable, LogSafe {
            /// Isolation or PHI handling is broken: `db doctor` exits non-zero.
            case unsafe
            /// Weaker than documented, or not checkable from this session.
            case warning
            package var description: String { rawValue }
        }
        package var severity: Severity
        /// A stable id: `rls.claims`, `setting.log_statement`, `role.driftline_bulk`, `connection.sslmode`…
        package var check: String
        /// What is wrong and why it matters (catalog names and setting values only).
        package var why: String

        package var description: String { "\(severity) \(check): \(why)" }
    }

    /// Tables that carry `customer_id` but are not a tenant's rows: the reader mapping (no RLS, no grants),
    /// and the alert outbox, which holds aggregates only and is drained across customers by the deliverer
    /// (its `customer_id` routes a message to that customer's endpoint; migration 0009).
    static let notTenantTables: Set<String> = ["reader_customers", "outbox"]
    /// The tenant tables migration 0007 puts under RLS; later migrations add theirs (any table with a
    /// `customer_id` column is checked).
    package static let coreTenantTables = [
        "customers", "uploads", "claims", "rejects", "upload_findings", "inbox_files",
    ]
    static let policies = ["tenant_isolation", "reader_isolation", "reader_only_granted"]

    /// Server settings whose value decides whether statements, parameters or `DETAIL`/`CONTEXT` lines (which
    /// quote row values) are written to the server log; the accepted values and why.
    static let logSettings: [(name: String, accepted: Set<String>, why: String)] = [
        (
            "log_error_verbosity", ["terse"],
            "must be terse: default and verbose add DETAIL and CONTEXT lines that quote keys and COPY fields"
        ),
        (
            "log_min_error_statement", ["panic", "fatal"],
            "must be panic: otherwise the statement that failed (its literals) is logged with each error"
        ),
        ("log_statement", ["none"], "must be none: statements (with their literals) would be logged"),
        (
            "log_min_duration_statement", ["-1"],
            "must be -1: slow statements would be logged with their parameters"
        ),
        (
            "log_min_duration_sample", ["-1"],
            "must be -1: sampled statements would be logged with their parameters"
        ),
        (
            "log_parameter_max_length_on_error", ["0"],
            "must be 0: bind parameters (row values) would be logged with errors"
        ),
    ]

    /// Examines the database behind `connection`.
    ///
    /// - Parameter quick: skip the checks that read every tenant table's grants (for `driftline run`'s start).
    package static func examine(_ connection: PGConnection, quick: Bool = false) throws -> [Finding] {
        var findings: [Finding] = []
        findings += try examineRoles(connection)
        let rolesExist = !findings.contains { $0.check.hasPrefix("role.") && $0.why.hasPrefix("missing") }
        findings += try examineTables(connection, checkGrants: rolesExist && !quick)
        findings += try examineSettings(connection)
        findings += examineTransport(connection)
        findings += try examineHBA(connection)
        findings += try examineSessionUser(connection)
        return findings
    }

    private static func examineRoles(_ connection: PGConnection) throws -> [Finding] {
        var findings: [Finding] = []
        let rows = try connection.query(
            """
            SELECT rolname, rolsuper, rolbypassrls, rolcanlogin FROM pg_roles
             WHERE rolname = ANY($1::text[])
            """,
            ["{" + TenantRole.allCases.map(\.rawValue).joined(separator: ",") + "}"],
            operation: "doctor: roles"
        ).rows
        var found: [String: [String?]] = [:]
        for row in rows { found[row[0] ?? ""] = row }
        for role in TenantRole.allCases {
            let check = "role.\(role)"
            guard let row = found[role.rawValue] else {
                findings.append(
                    Finding(
                        severity: .unsafe,
                        check: check,
                        why: "missing: the policies and the pipeline need it (README, Tenant isolation)"
                    )
                )
                continue
            }
            let superuser = row[1] == "t"
            let bypass = row[2] == "t"
            let login = row[3] == "t"
            if superuser {
                findings.append(Finding(severity: .unsafe, check: check, why: "is a superuser: it bypasses RLS"))
            }
            switch role {
            case .bulk:
                if !bypass {
                    findings.append(
                        Finding(
                            severity: .unsafe,
                            check: check,
                            why: "lacks BYPASSRLS: the load's COPY is refused under RLS"
                        )
                    )
                }
                if login {
                    findings.append(
                        Finding(
                            severity: .unsafe,
                            check: check,
                            why: "can log in: a BYPASSRLS role must be NOLOGIN, taken with SET LOCAL ROLE only"
                        )
                    )
                }
            case .owner, .loader, .reader:
                if bypass {
                    findings.append(
                        Finding(severity: .unsafe, check: check, why: "has BYPASSRLS: it must be held to the policies")
                    )
                }
            }
        }
        guard found[TenantRole.reader.rawValue] != nil else { return findings }
        // A reader that is also a loader, owner or bulk member, or bypasses RLS, can widen what it sees.
        let wideReaders = try connection.query(
            """
            SELECT m.rolname FROM pg_auth_members am
              JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
             WHERE g.rolname = $1
               AND (m.rolsuper OR m.rolbypassrls OR EXISTS (
                    SELECT 1 FROM pg_auth_members am2 JOIN pg_roles g2 ON g2.oid = am2.roleid
                     WHERE am2.member = m.oid AND g2.rolname = ANY($2::text[])))
             ORDER BY 1
            """,
            [
                TenantRole.reader.rawValue,
                "{\(TenantRole.loader.rawValue),\(TenantRole.owner.rawValue),\(TenantRole.bulk.rawValue)}",
            ],
            operation: "doctor: reader members"
        ).rows
        for row in wideReaders {
            findings.append(
                Finding(
                    severity: .unsafe,
                    check: "role.\(row[0] ?? "?")",
                    why: "is a driftline_reader member that is also a superuser, BYPASSRLS or a member of "
                        + "driftline_loader/driftline_owner/driftline_bulk: it can read other customers' rows"
                )
            )
        }
        return findings
    }

    private static func examineTables(_ connection: PGConnection, checkGrants: Bool) throws -> [Finding] {
        var findings: [Finding] = []
        let rows = try connection.query(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   coalesce((SELECT string_agg(p.polname, ',' ORDER BY p.polname) FROM pg_policy p
                              WHERE p.polrelid = c.oid), '')
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'driftline' AND c.relkind IN ('r', 'p')
               AND EXISTS (SELECT 1 FROM pg_attribute a
                            WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped)
             ORDER BY 1
            """,
            operation: "doctor: tenant tables"
        ).rows
        let tables = rows.filter { !notTenantTables.contains($0[0] ?? "") }
        let names = Set(tables.compactMap { $0[0] })
        for missing in coreTenantTables where !names.contains(missing) {
            findings.append(
                Finding(
                    severity: .unsafe,
                    check: "rls.\(missing)",
                    why: "table missing: the schema is not migrated (driftline db migrate)"
                )
            )
        }
        for row in tables {
            let table = row[0] ?? "?"
            let check = "rls.\(table)"
            if row[1] != "t" {
                findings.append(
                    Finding(
                        severity: .unsafe,
                        check: check,
                        why: "row-level security is off: a query that forgets its customer filter reads every "
                            + "customer's rows (SELECT driftline.enable_tenant_isolation('driftline.\(table)'))"
                    )
                )
                continue
            }
            if row[2] != "t" {
                findings.append(
                    Finding(
                        severity: .unsafe,
                        check: check,
                        why: "row-level security is not FORCEd: the table's owner bypasses the policies"
                    )
                )
            }
            let present = Set((row[3] ?? "").split(separator: ",").map(String.init))
            for policy in policies where !present.contains(policy) {
                findings.append(
                    Finding(severity: .unsafe, check: check, why: "policy \(policy) missing")
                )
            }
            if checkGrants { findings += try examineGrants(table, connection) }
        }
        return findings
    }

    private static func examineGrants(_ table: String, _ connection: PGConnection) throws -> [Finding] {
        let qualified = "driftline.\(PGConnection.quotedIdentifier(table))"
        let row =
            try connection.query(
                """
                SELECT has_table_privilege($1, $4::regclass, 'INSERT, UPDATE, DELETE, TRUNCATE'),
                       has_table_privilege($2, $4::regclass, 'SELECT')
                         AND has_table_privilege($2, $4::regclass, 'INSERT')
                         AND has_table_privilege($2, $4::regclass, 'UPDATE')
                         AND has_table_privilege($2, $4::regclass, 'DELETE'),
                       has_table_privilege($3, $4::regclass, 'SELECT'),
                       has_table_privilege($3, $4::regclass, 'UPDATE, DELETE, TRUNCATE')
                """,
                [TenantRole.reader.rawValue, TenantRole.loader.rawValue, TenantRole.bulk.rawValue, qualified],
                operation: "doctor: grants"
            ).first ?? []
        var findings: [Finding] = []
        let check = "grant.\(table)"
        if row.count == 4 {
            if row[0] == "t" {
                findings.append(
                    Finding(severity: .unsafe, check: check, why: "driftline_reader may write: it must be read-only")
                )
            }
            if row[1] != "t" {
                findings.append(
                    Finding(
                        severity: .unsafe,
                        check: check,
                        why: "driftline_loader lacks SELECT, INSERT, UPDATE or DELETE: the pipeline cannot work"
                    )
                )
            }
            // driftline_bulk bypasses RLS: it may read the queue (paths) and write claims and rejects, no more.
            if row[2] == "t" && table != "inbox_files" {
                findings.append(
                    Finding(
                        severity: .unsafe,
                        check: check,
                        why: "driftline_bulk may SELECT: it bypasses RLS, so it would read every customer's rows"
                    )
                )
            }
            if row[3] == "t" && table != "inbox_files" {
                findings.append(
                    Finding(
                        severity: .unsafe,
                        check: check,
                        why: "driftline_bulk may UPDATE, DELETE or TRUNCATE: it bypasses RLS"
                    )
                )
            }
        }
        return findings
    }

    private static func examineSettings(_ connection: PGConnection) throws -> [Finding] {
        let rows = try connection.query(
            "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])",
            ["{" + logSettings.map(\.name).joined(separator: ",") + "}"],
            operation: "doctor: settings"
        ).rows
        var values: [String: String] = [:]
        for row in rows { values[row[0] ?? ""] = row[1] ?? "" }
        var findings: [Finding] = []
        for setting in logSettings {
            guard let value = values[setting.name] else { continue }  // an older server without it
            if !setting.accepted.contains(value.lowercased()) {
                findings.append(
                    Finding(
                        severity: .unsafe,
                        check: "setting.\(setting.name)",
                        why: "is \(value): \(setting.why)"
                    )
                )
            }
        }
        return findings
    }

    private static func examineTransport(_ connection: PGConnection) -> [Finding] {
        transportFindings(unixSocket: connection.usesUnixSocket, sslmode: connection.connectionOption("sslmode"))
    }

    /// A TCP connection must verify the server (`sslmode=verify-full`); a unix socket crosses no network.
    package static func transportFindings(unixSocket: Bool, sslmode: String?) -> [Finding] {
        guard !unixSocket else { return [] }
        let mode = sslmode ?? "prefer"
        switch mode {
        case "verify-full":
            return []
        case "require", "verify-ca":
            return [
                Finding(
                    severity: .warning,
                    check: "connection.sslmode",
                    why: "is \(mode) over TCP: encrypted, but the server's name is not verified (use verify-full)"
                )
            ]
        default:
            return [
                Finding(
                    severity: .unsafe,
                    check: "connection.sslmode",
                    why: "is \(mode) over TCP: PHI may cross the network unencrypted (use sslmode=verify-full)"
                )
            ]
        }
    }

    private static func examineHBA(_ connection: PGConnection) throws -> [Finding] {
        let result: PGRows
        do {
            result = try connection.query(
                """
                SELECT line_number, type FROM pg_hba_file_rules
                 WHERE type LIKE 'host%' AND auth_method = 'trust' ORDER BY 1
                """,
                operation: "doctor: pg_hba"
            )
        } catch {
            guard error.sqlState == "42501" else { throw error }
            return [
                Finding(
                    severity: .warning,
                    check: "pg_hba",
                    why:
                        "not checked: this role may not read pg_hba_file_rules (ask a DBA to check for trust on host lines)"
                )
            ]
        }
        let rows = result.rows
        return rows.map {
            Finding(
                severity: .unsafe,
                check: "pg_hba",
                why: "line \($0[0] ?? "?") (\($0[1] ?? "host")) trusts TCP connections without a password"
            )
        }
    }

    private static func examineSessionUser(_ connection: PGConnection) throws -> [Finding] {
        let row =
            try connection.query(
                "SELECT session_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = session_user",
                operation: "doctor: session user"
            ).first ?? []
        guard row.count == 3 else { return [] }
        let user = row[0] ?? "?"
        var findings: [Finding] = []
        if row[1] == "t" || row[2] == "t" {
            let what = row[1] == "t" ? "a superuser" : "BYPASSRLS"
            if connection.usesUnixSocket {
                findings.append(
                    Finding(
                        severity: .warning,
                        check: "connection.user",
                        why: "the pipeline connects as \(user), \(what) (the embedded cluster's admin, over its "
                            + "socket): its stages take SET LOCAL ROLE driftline_loader, and driftline_bulk for the COPY"
                    )
                )
            } else {
                findings.append(
                    Finding(
                        severity: .unsafe,
                        check: "connection.user",
                        why: "the pipeline connects as \(user), \(what), over TCP: connect as a login role granted "
                            + "driftline_loader and driftline_bulk (README, Tenant isolation)"
                    )
                )
            }
        }
        if try !connection.takesPipelineRoles() {
            findings.append(
                Finding(
                    severity: .unsafe,
                    check: "connection.user",
                    why: "\(user) cannot SET ROLE driftline_loader and driftline_bulk: the pipeline's tenant-scoped "
                        + "work and the load's COPY need both (GRANT driftline_loader, driftline_bulk TO \(user))"
                )
            )
        }
        return findings
    }
}
