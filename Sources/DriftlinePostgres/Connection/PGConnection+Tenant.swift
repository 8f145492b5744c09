import DriftlineCore
import Foundation

/// The roles of tenant isolation (README, "Tenant isolation"; migration 0007).
package enum TenantRole: String, Sendable, CaseIterable, LogSafe {
    /// Owns the schema and runs migrations; under RLS like the loader (FORCE ROW LEVEL SECURITY).
    case owner = "driftline_owner"
    /// The pipeline: DML on every tenant table, under RLS keyed on `driftline.customer_id`.
    case loader = "driftline_loader"
    /// Analysts and BI tools: read-only, under RLS keyed on `driftline.reader_customers`.
    case reader = "driftline_reader"
    /// NOLOGIN, BYPASSRLS: the load's COPY into `claims`/`rejects` and the queue claim, nothing else.
    case bulk = "driftline_bulk"

    package var description: String { rawValue }
}

extension PGConnection {
    /// The per-transaction setting the policies read.
    package static let tenantSetting = "driftline.customer_id"

    /// Whether this session can take `driftline_loader` and `driftline_bulk` with `SET ROLE` (a superuser,
    /// or a login role granted both). Asked once per connection.
    package func takesPipelineRoles() throws(PostgresError) -> Bool {
        if let pipelineRolesAvailable { return pipelineRolesAvailable }
        let available =
            try query(
                """
                SELECT count(*) = 2 AND coalesce(bool_and(pg_has_role(session_user, oid, 'MEMBER')), false)
                  FROM pg_roles WHERE rolname IN ($1, $2)
                """,
                [TenantRole.loader.rawValue, TenantRole.bulk.rawValue],
                operation: "look up pipeline roles"
            ).scalar == "t"
        pipelineRolesAvailable = available
        return available
    }

    /// Runs `body` in a transaction scoped to one customer: `SET LOCAL ROLE driftline_loader` (when this
    /// session can take it) and `driftline.customer_id` set for the transaction only. A query in `body`
    /// that forgets its customer filter sees, and can write, that customer's rows and no other's.
    package func withTenant<T>(_ customerID: String, _ body: () throws -> T) throws -> T {
        try transaction {
            try enterTenant(customerID)
            return try body()
        }
    }

    /// Scopes the open transaction to `customerID` (see ``withTenant(_:_:)``); lasts until it ends.
    package func enterTenant(_ customerID: String) throws(PostgresError) {
        if try takesPipelineRoles() {
            try execute("SET LOCAL ROLE \(TenantRole.loader.rawValue)", operation: "take loader role")
        }
        try query(
            "SELECT set_config($1, $2, true)",
            [Self.tenantSetting, customerID],
            operation: "set tenant"
        )
    }

    /// The customers of the tenant directory (`driftline.customers`: ids only, listed by the pipeline), or
    /// just `only` when given.
    package func tenants(_ only: String? = nil) throws -> [String] {
        try only.map { [$0] } ?? UploadTotals.customers(on: self)
    }

    /// Runs `body` once per customer (``tenants(_:)``), each in its own ``withTenant(_:_:)`` transaction, in
    /// customer order: for admin commands that read or write tenant tables across customers under RLS.
    package func eachTenant<T>(_ only: String? = nil, _ body: (String) throws -> T) throws -> [T] {
        try tenants(only).map { customer in try withTenant(customer) { try body(customer) } }
    }

    /// Those of `customers` a probe names, in the order given: `statement` selects customer ids from a
    /// function that sets each customer's tenant in turn (migration 0013), with `$1` the customers as `text[]`
    /// and `arguments` from `$2`. One round trip, so a stage visits only the customers it has work for instead
    /// of opening a tenant transaction for each.
    package func tenants(
        among customers: [String],
        probe statement: String,
        arguments: [String?] = [],
        operation: String
    ) throws -> [String] {
        guard let first = customers.first else { return [] }
        let named = try withTenant(first) {
            try query(statement, [textArrayLiteral(customers)] + arguments, operation: operation).rows.compactMap {
                $0[0]
            }
        }
        return customers.filter(Set(named).contains)
    }

    /// The first customer (``tenants(_:)``) for which `body`, run under that customer's tenant, finds
    /// something: to look up one row by its id (an upload, a silence, an alert) under RLS.
    package func firstTenant<T>(
        _ only: String? = nil,
        _ body: (String) throws -> T?
    ) throws -> (customer: String, value: T)? {
        for customer in try tenants(only) {
            if let value = try withTenant(customer, { try body(customer) }) { return (customer, value) }
        }
        return nil
    }

    /// Runs `body` as `driftline_bulk` (BYPASSRLS) inside the caller's open transaction, then returns to
    /// the role it had: for the load's COPY (refused under RLS) and the queue claim only.
    ///
    /// When `body` throws, the transaction is in error and the role is left as it is: the caller rolls
    /// back (to a savepoint taken before, which restores the role too).
    package func asBulkLoader<T>(_ body: () throws -> T) throws -> T {
        guard try takesPipelineRoles() else { return try body() }
        let previous = try query("SELECT current_user", operation: "read role").scalar ?? ""
        try execute("SET LOCAL ROLE \(TenantRole.bulk.rawValue)", operation: "take bulk role")
        let value = try body()
        try execute("SET LOCAL ROLE \(Self.quotedIdentifier(previous))", operation: "restore role")
        return value
    }

    /// A double-quoted SQL identifier (for role names read from the catalog or given by the operator).
    package static func quotedIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
