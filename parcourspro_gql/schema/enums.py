"""The enums of the API, exposed from the models' own enums."""

from __future__ import annotations

import strawberry

from parcourspro_gql import models

StructureStatus = strawberry.enum(models.StructureStatus, name="StructureStatus")
