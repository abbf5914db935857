"""Email: the outbox writer (same transaction as the change), the senders and the dispatcher."""
