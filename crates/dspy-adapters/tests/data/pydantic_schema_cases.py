"""Regenerates pydantic_schema_cases.json: JSON Schemas from pydantic for types that the DSPy
conformance fixtures do not cover. Run with the project's Python (pydantic 2.14.4, dspy 3.4.1):

    python crates/dspy-adapters/tests/data/pydantic_schema_cases.py

`type_defs` uses the fixtures' format plus an optional `doc` (the class docstring). Each case is
a `py_type` in the fixtures' grammar, resolved against `type_defs`, and pydantic's schema for it.
`named` cases are built in Python and by hand in the Rust test (matched by `id`).
"""

import enum
import json
import pathlib
import typing
from typing import Any, Literal, Optional, Union

import dspy
import pydantic
from pydantic import BaseModel, Field, TypeAdapter, create_model

TYPE_DEFS = {
    "Addr": {
        "kind": "model",
        "doc": "An address.\n\nIndented line.",
        "fields": [
            {"name": "street", "py_type": "str", "required": True},
            {"name": "zip_code", "py_type": "Optional[str]", "required": False, "default": None},
        ],
    },
    "Color": {
        "kind": "enum",
        "members": [{"name": "RED", "value": "red"}, {"name": "GREEN", "value": "green"}],
    },
    "Shade": {
        "kind": "enum",
        "doc": "Shades\nof grey.",
        "members": [{"name": "LIGHT", "value": "light"}],
    },
    "Pri": {"kind": "int_enum", "members": [{"name": "LOW", "value": 1}, {"name": "HIGH", "value": 2}]},
    "Mixed": {"kind": "enum", "members": [{"name": "A", "value": 1}, {"name": "B", "value": "b"}]},
    "Fl": {"kind": "enum", "members": [{"name": "A", "value": 1.5}, {"name": "B", "value": 2.5}]},
    "Nn": {"kind": "enum", "members": [{"name": "A", "value": None}]},
    "Bo": {"kind": "enum", "members": [{"name": "Y", "value": True}, {"name": "N", "value": False}]},
    "Nothing": {"kind": "enum", "doc": "No members.", "members": []},
    "Empty": {"kind": "model", "fields": []},
    "Café": {"kind": "model", "fields": [{"name": "crème", "py_type": "int", "required": True}]},
    "properties": {
        "kind": "model",
        "doc": "Named like a schema keyword.",
        "fields": [{"name": "b", "py_type": "int", "required": True}, {"name": "a", "py_type": "str", "required": True}],
    },
    "default": {"kind": "enum", "doc": "Also a keyword.", "members": [{"name": "X", "value": "x"}]},
    "Everything": {
        "kind": "model",
        "doc": "Every kind of field.",
        "fields": [
            {"name": "a", "py_type": "Color", "required": True},
            {"name": "b", "py_type": "Color", "required": False, "default": "red"},
            {"name": "c", "py_type": "Color", "required": True, "description": "the colour"},
            {"name": "d", "py_type": "Optional[Color]", "required": False, "default": None},
            {"name": "e", "py_type": "Addr", "required": True, "description": "where"},
            {"name": "f", "py_type": "Optional[Addr]", "required": False, "default": None},
            {"name": "g", "py_type": "Addr", "required": False},
            {"name": "h", "py_type": "Addr", "required": False, "default": {"street": "x", "zip_code": None},
             "description": "An address.\n\n    Indented line."},
            {"name": "i", "py_type": "Addr", "required": True, "description": "An address.\n\nIndented line."},
            {"name": "j", "py_type": "Union[Addr, int]", "required": True},
            {"name": "k", "py_type": "list[Addr]", "required": False, "default": []},
            {"name": "l", "py_type": "Any", "required": False, "default": None},
            {"name": "field1name", "py_type": "int", "required": False, "default": 3},
            {"name": "x_", "py_type": "float", "required": False, "default": 1.0},
            {"name": "déjà_vu2x", "py_type": "str", "required": False, "default": "é"},
            {"name": "ab_cd_EF", "py_type": "dict[str, Any]", "required": False,
             "default": {"b": {"z": 1, "a": 2}, "a": [{"y": 1, "b": 2}]}},
            {"name": "lst", "py_type": "list[dict[str, int]]", "required": False, "default": [{"z": 1, "a": 2}]},
            {"name": "pr", "py_type": "Pri", "required": False, "default": 1},
            {"name": "m", "py_type": "Empty", "required": True},
            {"name": "default", "py_type": "int", "required": True, "description": "keyword name"},
            {"name": "properties", "py_type": "list[str]", "required": False, "default": ["q"]},
            {"name": "mm", "py_type": "Mixed", "required": True},
            {"name": "fl", "py_type": "Fl", "required": True},
            {"name": "nn", "py_type": "Nn", "required": True},
            {"name": "bo", "py_type": "Bo", "required": True},
            {"name": "em", "py_type": "Nothing", "required": True},
            {"name": "om", "py_type": "Optional[Nothing]", "required": True},
            {"name": "sh", "py_type": "Shade", "required": True, "description": "Shades\nof grey."},
            {"name": "kw", "py_type": "properties", "required": True},
            {"name": "kw2", "py_type": "default", "required": False, "default": "x"},
            {"name": "cafe", "py_type": "Café", "required": True},
            {"name": "t", "py_type": "tuple[int, str]", "required": False, "default": [1, "a"]},
            {"name": "lit", "py_type": "Literal['a', 'b']", "required": False, "default": "a", "description": "q"},
            {"name": "dk", "py_type": "dict[Literal['a'], Optional[int]]", "required": False, "default": {}},
            {"name": "hist", "py_type": "dspy.History", "required": True, "description": "x"},
            {"name": "u", "py_type": "Union[int, None, str]", "required": True},
            {"name": "opt_any", "py_type": "Optional[Any]", "required": False, "default": None},
            {"name": "none", "py_type": "None", "required": True},
            {"name": "ok", "py_type": "bool", "required": False, "default": False},
            {"name": "des", "py_type": "str", "required": True, "description": ""},
        ],
    },
}

PY_TYPES = [
    "list", "dict", "Any", "None", "list[Any]", "dict[str, Any]", "dict[int, str]",
    "dict[Literal['a', 'b'], int]", "dict[Literal['a'], Optional[int]]", "dict[Literal[1, 2], int]",
    "dict[Optional[str], int]", "dict[str, Optional[Any]]", "dict[Color, int]", "dict[str, Color]",
    "dict[str, Nothing]", "dict[Nothing, int]", "dict[Any, Any]",
    "tuple[int]", "tuple[Any, str]", "tuple[int, list[tuple[str, float]]]",
    "Union[int, None, str]", "Union[None, int]", "Union[int, Optional[str]]", "Optional[Any]",
    "Union[int, Any]", "Union[Literal['a'], Literal['b']]", "Optional[Literal['a', 'b']]",
    "Literal['a']", "Literal[1]", "Literal[1.5]", "Literal[True]", "Literal[None]", "Literal['a', None]",
    "Literal[1, 'a']", "Literal[1, True]", "Literal[1, 1.5]", "Literal[True, False]", "Literal['a', 'a', 'b']",
    "Optional[Literal[None]]", "Union[int, bool]", "Union[float, int]", "Union[int, int]",
    "Union[int, Union[str, None], float]", "Union[Literal[1, 'a'], Literal[1.0, 'a']]",
    "Union[Literal['a', 'b'], Literal['b', 'a']]", "Union[Optional[int], Optional[str]]",
    "Optional[Optional[int]]", "int | None", "None | int | str", "Union[None, None]",
    "Optional[list[int]]", "list[Optional[int]]", "list[list[Optional[Color]]]",
    "Addr", "Optional[Addr]", "list[Addr]", "tuple[Addr, Color]", "Union[Addr, Color]", "Union[Addr, Addr, None]",
    "Color", "Shade", "Pri", "Mixed", "Fl", "Nn", "Bo", "Nothing", "Empty", "Café", "properties", "default",
    "Optional[Color]", "list[Nothing]", "Optional[Nothing]",
    "dspy.History", "Optional[dspy.History]", "list[dspy.History]",
    "Everything", "list[Everything]",
]

NS: dict = {"Any": Any, "Literal": Literal, "Optional": Optional, "Union": Union, "dspy": dspy}


class Classes(dict):
    def __missing__(self, name):
        if name in NS:
            return NS[name]
        if name not in TYPE_DEFS:
            raise KeyError(name)
        self[name] = cls = build(name, TYPE_DEFS[name])
        return cls


CLASSES = Classes()


def annotation(py_type):
    return eval(py_type, {"__builtins__": __builtins__}, CLASSES)


def build(name, d):
    if d["kind"] == "model":
        fields = {}
        for f in d["fields"]:
            kwargs = {}
            if "description" in f:
                kwargs["description"] = f["description"]
            if f["required"]:
                field = Field(**kwargs)
            elif "default" in f:
                field = Field(f["default"], **kwargs)
            else:
                field = Field(default_factory=lambda: None, **kwargs)
            fields[f["name"]] = (annotation(f["py_type"]), field)
        return create_model(name, __doc__=d.get("doc"), **fields)
    base = enum.IntEnum if d["kind"] == "int_enum" else enum.Enum
    if d["members"]:
        cls = base(name, [(m["name"], m["value"]) for m in d["members"]])
    else:
        cls = enum.EnumType(name, (base,), enum.EnumType.__prepare__(name, (base,)))
    cls.__doc__ = d.get("doc")
    return cls


def named_cases():
    """Cases whose types the Rust test builds by hand."""

    def make(fields, doc=None):
        return create_model("Item", __doc__=doc, **fields)

    same_a, same_b = make({"a": (int, ...)}), make({"a": (int, ...)})
    other = make({"b": (str, ...)})
    int_enum = enum.IntEnum("Level", [("LOW", 1)])
    plain_enum = enum.Enum("Level", [("LOW", 1)])
    wrapper_same = create_model("Wrapper", x=(same_a, ...), y=(same_b, ...))
    return {
        "same-name-same-schema": TypeAdapter(wrapper_same).json_schema(),
        "same-name-enum-kinds": TypeAdapter(Union[int_enum, plain_enum, None]).json_schema(),
        "top-and-nested-same-name": TypeAdapter(make({"inner": (other, ...)})).json_schema(),
    }


def main():
    assert pydantic.VERSION == "2.14.4", pydantic.VERSION
    cases = [{"py_type": t, "schema": TypeAdapter(annotation(t)).json_schema()} for t in PY_TYPES]
    out = {
        "pydantic": pydantic.VERSION,
        "dspy": dspy.__version__,
        "type_defs": TYPE_DEFS,
        "cases": cases,
        "named": named_cases(),
    }
    path = pathlib.Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
