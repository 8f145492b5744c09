/// A test hook that makes the drift aggregation and the alert evaluation drop their customer filters, so a
/// test can prove that row-level security alone keeps each customer's run to that customer's rows (README,
/// "Tenant isolation": what the tests prove).
///
/// With it on, ``DriftStore/aggregates(windows:customers:on:)`` aggregates every customer's claims it can
/// see and ``AlertStore/evaluate(book:asOf:customer:runID:now:on:)`` reads every customer's new drift events it
/// can see — each still inside its per-customer ``PGConnection/withTenant(_:_:)`` scope.
///
/// Why a task-local and `#if DEBUG`, not an environment variable: it can be switched on only by code in the
/// same process wrapping a call in `UnscopedQueryTestHook.$dropsCustomerFilters.withValue(true) { … }`, for
/// that task only (parallel tests are not affected), and a release build has no switch at all (the property
/// is the constant `false`). No environment, file or flag a production run could inherit turns it on.
package enum UnscopedQueryTestHook {
    #if DEBUG
    /// Whether the current task's tenant-scoped stages run their queries without a customer filter.
    @TaskLocal package static var dropsCustomerFilters = false
    #else
    package static var dropsCustomerFilters: Bool { false }
    #endif

    /// `customerID`, or `nil` (no filter) when the hook is on.
    @inline(__always)
    package static func filter(_ customerID: String?) -> String? {
        dropsCustomerFilters ? nil : customerID
    }
}
