"""Regenerates rust_types_cases.json: for each Rust type in tests/rust_types.rs, the Python
annotation a DSPy user would write for it, with the name DSPy shows in prompts
(`get_annotation_name`) and pydantic's JSON Schema (`TypeAdapter(T).json_schema()`).
Run with the project's Python (pydantic 2.14.4, dspy 3.4.1):

    python crates/dspy-adapters/tests/data/rust_types_cases.py

Cases are matched to the Rust types by `id`; `rust` and `python` only document the pairing.
"""

import enum
import json
import pathlib
from typing import Any, Literal, Optional, Union

import dspy
import pydantic
from dspy.adapters.utils import get_annotation_name
from pydantic import BaseModel, Field, TypeAdapter


class Address(BaseModel):
    street: str
    city: str


class Person(BaseModel):
    name: str
    age: int = Field(description="Age in whole years")
    address: Address
    nicknames: list[str] = []


class Team(BaseModel):
    team_name: str
    lead: Person
    members: list[Person]


class Color(enum.Enum):
    red = "red"
    green = "green"
    Blue = "Blue"


class Light(enum.Enum):
    """Traffic light colours."""

    Red = "Red"
    Amber = "Amber"
    Green = "Green"


class Profile(BaseModel):
    """A user profile.

    Second paragraph."""

    userName: str = Field(description="The login name")
    email: Optional[str] = None
    age: Optional[int] = None
    retries: int = 3
    tags: list[str] = []
    favourite: Optional[Color] = None
    scores: dict[str, float]
    light: Light


class Circle(BaseModel):
    radius: float


class Rect(BaseModel):
    """A rectangle."""

    width: float
    height: float


def shape_internal():
    """`#[serde(tag = "kind")]`: each variant a model named after it, tag first."""

    class Circle(BaseModel):
        kind: Literal["Circle"]
        radius: float

    class Rect(BaseModel):
        """A rectangle."""

        kind: Literal["Rect"]
        width: float
        height: float

    class Empty(BaseModel):
        kind: Literal["Empty"]

    return Union[Circle, Rect, Empty]


def shape_external():
    """Externally tagged: `{"Circle": {...}}` objects, named `{Enum}{Variant}`."""

    class Circle(BaseModel):
        radius: float

    class ShapeCircle(BaseModel):
        Circle: Circle

    class ShapeRect(BaseModel):
        Rect: globals()["Rect"]

    return Union[ShapeCircle, ShapeRect, Literal["Unit"]]


def shape_adjacent():
    """`#[serde(tag = "t", content = "c")]`: `{"t": "Circle", "c": {...}}`."""

    class ShapeCircle(BaseModel):
        radius: float

    class Circle(BaseModel):
        t: Literal["Circle"]
        c: ShapeCircle

    class Point(BaseModel):
        t: Literal["Point"]
        c: tuple[float, float]

    return Union[Circle, Point]


class Tree(BaseModel):
    value: int
    children: list[Any]


CASES = [
    ("string", "String", "str", str),
    ("u8", "u8", "int", int),
    ("i64", "i64", "int", int),
    ("f64", "f64", "float", float),
    ("bool", "bool", "bool", bool),
    ("vec_string", "Vec<String>", "list[str]", list[str]),
    ("btreeset_i32", "BTreeSet<i32>", "list[int]", list[int]),
    ("hashmap_string_i32", "HashMap<String, i32>", "dict[str, int]", dict[str, int]),
    ("btreemap_i64_string", "BTreeMap<i64, String>", "dict[int, str]", dict[int, str]),
    ("tuple_i32_string", "(i32, String)", "tuple[int, str]", tuple[int, str]),
    ("option_string", "Option<String>", "Optional[str]", Optional[str]),
    ("option_vec_i32", "Option<Vec<i32>>", "Optional[list[int]]", Optional[list[int]]),
    ("value", "serde_json::Value", "Any", Any),
    ("map_value", "serde_json::Map<String, Value>", "dict[str, Any]", dict[str, Any]),
    ("vec_vec_f64", "Vec<Vec<f64>>", "list[list[float]]", list[list[float]]),
    ("team", "Team (nested structs, Vec<Person>, #[serde(default)] Vec)", "Team", Team),
    ("vec_person", "Vec<Person>", "list[Person]", list[Person]),
    ("profile", "Profile (docs, Option fields, defaults, rename_all, enums)", "Profile", Profile),
    ("color", "enum Color { #[serde(rename = \"red\")] Red, ... } (rename_all lowercase except one)", "Color", Color),
    ("light", "/// doc + unit variants with docs", "Light", Light),
    ("option_color", "Option<Color>", "Optional[Color]", Optional[Color]),
    ("shape_untagged", "#[serde(untagged)] enum Shape { Circle(Circle), Rect(Rect) }", "Union[Circle, Rect]", Union[Circle, Rect]),
    ("shape_internal", "#[serde(tag = \"kind\")] enum Shape { Circle { radius }, Rect(Rect), Empty }", "Union[Circle, Rect, Empty]", shape_internal()),
    ("shape_external", "enum Shape { Circle { radius }, Rect(Rect), Unit }", "Union[ShapeCircle, ShapeRect, Literal['Unit']]", shape_external()),
    ("shape_adjacent", "#[serde(tag = \"t\", content = \"c\")] enum Shape { Circle { radius }, Point(f64, f64) }", "Union[Circle, Point]", shape_adjacent()),
    ("tree", "struct Tree { value: i32, children: Vec<Tree> } (recursion cut to Any)", "Tree", Tree),
]


def main() -> None:
    out = {"pydantic": pydantic.VERSION, "dspy": dspy.__version__, "cases": []}
    for case_id, rust, python, annotation in CASES:
        schema = TypeAdapter(annotation).json_schema()
        out["cases"].append(
            {
                "id": case_id,
                "rust": rust,
                "python": python,
                "dspy_name": get_annotation_name(annotation),
                "schema": schema,
            }
        )
    path = pathlib.Path(__file__).with_name("rust_types_cases.json")
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
