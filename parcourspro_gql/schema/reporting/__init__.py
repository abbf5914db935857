"""Statistics of a year (V5); the exports are HTTP routes (parcourspro_gql/exports.py)."""
