"""Use cases and business rules, free of any transport (no strawberry, no starlette)."""
