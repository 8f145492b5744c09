#include <libpq-fe.h>
#include <postgres_ext.h>

// PG_DIAG_* are char macros Swift cannot import. Expose only the fields that never
// quote row values: the SQLSTATE, the constraint name and the COPY context line number
// is parsed by the caller from PG_DIAG_CONTEXT (the rest of that text is discarded).
static inline const char *clibpq_sqlstate(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_SQLSTATE); }
static inline const char *clibpq_constraint(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME); }
static inline const char *clibpq_context(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_CONTEXT); }
