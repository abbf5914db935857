"""The role permission classes (IsReferentOf, IsEmployerOf, IsProviderOf, …) sit on the fields they guard and
are named in those fields' descriptions, so that GraphiQL's reader sees who may read what; what each lets
through is the permission matrix's business (tests/test_permission_matrix_all.py)."""

from __future__ import annotations

from typing import Any

from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.schema import build_schema

# Field → its role class: the fields whose readers depend on a role or on the object they hang on.
EXPECTED = {
    "Query.pendingAffiliations": "IsReferentOrManager",
    "Query.providerSessions": "IsProvider",
    "Query.managerDashboard": "IsManager",
    "Structure.accounts": "IsEmployerOf",
    "Structure.conventions": "IsPartyOf",
    "Structure.changes": "IsReferentOf",
    "TrainingSession.registrations": "IsProviderOf",
    "Account.registrations": "IsSelfOrEmployerOf",
}


def _guarded(schema: Any) -> dict[str, tuple[list[str], str]]:
    found = {}
    for type_name in schema._schema.type_map:
        if type_name.startswith("__"):
            continue
        definition = schema.get_type_by_name(type_name)
        for field in getattr(definition, "fields", None) or ():
            classes = [kind.__name__ for kind in getattr(field, "permission_classes", ()) or ()]
            roles = [name for name in classes if name != IsAuthenticated.__name__]
            if roles:
                graphql_name = schema.config.name_converter.get_graphql_name(field)
                found[f"{type_name}.{graphql_name}"] = (roles, field.description or "")
    return found


def test_each_role_class_guards_its_field_after_authentication_and_is_named_in_its_description():
    schema = build_schema(production=False)
    guarded = _guarded(schema)
    assert {name: roles for name, (roles, _) in guarded.items()} == {
        name: [role] for name, role in EXPECTED.items()
    }
    for name, (roles, description) in guarded.items():
        if roles != ["IsManager"]:  # "Managers only." says it in words
            assert f"Permission: {roles[0]}." in description, name
