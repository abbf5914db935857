"""The engine: how a GraphQL request is parsed, guarded, costed and executed, apart from what the API says.

- parsing.py: documents parsed once, cached by their text.
- extensions.py: the request guards (tokens, depth, aliases, introspection, cost) and error masking.
- cost.py: the cost limit, counted before a document runs.
- execution.py: the fast paths (leaves, attached objects, plans) beside graphql-core's executor.
- rows.py: API objects built from an ORM row's loaded values.

Everything here but the guards is a shortcut that `PARCOURSPRO_FAST_PATHS=false` turns off; schema/ declares
the API with strawberry and uses this package, never the other way round.
"""
