"""The HTTP edge of /graphql, in functions of its own: media types and status codes (GraphQL over HTTP), the
JSON form of every refusal, Cache-Control, CORS, and the documents a request may name (APQ, trusted)."""
