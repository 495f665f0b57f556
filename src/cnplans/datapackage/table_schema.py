"""Reading Table Schemas: the one source of truth for every field's type, constraints and text
(pandera schemas, loader dtypes and the data dictionary are derived from it)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A text field with this pattern holds possibly partial ISO dates (YYYY, YYYY-MM, YYYY-MM-DD).
PARTIAL_DATE_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
# Table Schema type -> pandas dtype name. Enums override this with a CategoricalDtype.
PANDAS_DTYPES: dict[str, str] = {
    "string": "string",
    "integer": "Int64",
    "year": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
}


@dataclass(frozen=True)
class Field:
    """One field of a Table Schema, with the parts the tools use."""

    name: str
    type: str
    title: str = ""
    description: str = ""
    format: str = "default"
    constraints: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required", False))

    @property
    def enum(self) -> list[str] | None:
        values = self.constraints.get("enum")
        return list(values) if values is not None else None

    def constraints_text(self, leave_out: tuple[str, ...] = ()) -> str:
        """The field's constraints as a short phrase for a data dictionary (the one wording).

        >>> f = Field("id", "string", constraints={"required": True, "maxLength": 8, "enum": ["a"]})
        >>> f.constraints_text()
        'required; max length 8; one of: a'
        >>> f.constraints_text(leave_out=("required", "enum"))
        'max length 8'
        """
        parts = []
        constraints = {k: v for k, v in self.constraints.items() if k not in leave_out}
        if constraints.pop("required", False):
            parts.append("required")
        if constraints.pop("unique", False):
            parts.append("unique")
        enum = constraints.pop("enum", None)
        for key, value in constraints.items():
            words = re.sub(r"(?<!^)([A-Z])", r" \1", key).lower()
            parts.append(f"{words} {value}")
        if enum is not None:
            parts.append("one of: " + ", ".join(map(str, enum)))
        return "; ".join(parts)

    def pandas_dtype(self) -> Any:
        """The pandas dtype this field loads as (enums as ``category`` with the schema's order)."""
        if self.enum is not None:
            import pandas as pd  # here: the validator reads schemas before it imports pandas

            return pd.CategoricalDtype(categories=self.enum, ordered=False)
        try:
            return PANDAS_DTYPES[self.type]
        except KeyError:
            raise ValueError(
                f"field {self.name!r} has Table Schema type {self.type!r}, which cnplans does not "
                f"map to a pandas dtype (known: {', '.join(sorted(PANDAS_DTYPES))})"
            ) from None


def _names(names: str | list[str]) -> list[str]:
    """The field names of a key, which a Table Schema may give as one name."""
    return [names] if isinstance(names, str) else list(names)


@dataclass(frozen=True)
class ForeignKey:
    fields: list[str]
    resource: str
    reference_fields: list[str]


def is_partial_date_field(f: Field) -> bool:
    """Whether ``f`` is a text field of possibly partial ISO dates, which loads as dates.

    >>> from cnplans.loader import schema  # a bundled schema
    >>> is_partial_date_field(schema("plans").field("issued"))
    True
    >>> is_partial_date_field(schema("plans").field("title"))
    False
    """
    return (
        f.type == "string"
        and f.enum is None
        and f.constraints.get("pattern") == PARTIAL_DATE_PATTERN
    )


@dataclass(frozen=True)
class TableSchema:
    """A parsed Table Schema file."""

    fields: list[Field]
    primary_key: list[str]
    foreign_keys: list[ForeignKey]
    missing_values: list[str]
    description: str = ""

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @classmethod
    def from_descriptor(cls, descriptor: dict[str, Any]) -> TableSchema:
        fields = [
            Field(
                name=f["name"],
                type=f.get("type", "string"),
                title=f.get("title", ""),
                description=f.get("description", ""),
                format=f.get("format", "default"),
                constraints=dict(f.get("constraints", {})),
            )
            for f in descriptor.get("fields", [])
        ]
        pk = _names(descriptor.get("primaryKey", []))
        fks = []
        for fk in descriptor.get("foreignKeys", []):
            own, ref = fk["fields"], fk["reference"]["fields"]
            fks.append(ForeignKey(_names(own), fk["reference"].get("resource", ""), _names(ref)))
        missing = list(descriptor.get("missingValues", [""]))
        return cls(fields, pk, fks, missing, str(descriptor.get("description", "")))

    @classmethod
    def from_path(cls, path: Path) -> TableSchema:
        return cls.from_descriptor(json.loads(path.read_text(encoding="utf-8")))
