"""Time limits of the app under the test suite."""

# CI runs the suite four times at once on a small machine, where a healthy lock wait or readiness check may
# outlast the production limits: the suite's app gets roomier ones (tests/faults sets tight limits itself
# and checks them, with a frozen or locked database, and the production defaults).
SUITE_LIMITS = {
    "PARCOURSPRO_HEALTH_TIMEOUT_SECONDS": "5",
    "PARCOURSPRO_DB_LOCK_TIMEOUT_SECONDS": "30",
    "PARCOURSPRO_DB_STATEMENT_TIMEOUT_SECONDS": "60",
    "PARCOURSPRO_DB_COMMAND_TIMEOUT_SECONDS": "90",
    "PARCOURSPRO_DB_POOL_TIMEOUT_SECONDS": "60",
    "PARCOURSPRO_SQLITE_BUSY_TIMEOUT_SECONDS": "30",
}
