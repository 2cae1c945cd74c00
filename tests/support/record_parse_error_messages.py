"""Records DSPy's full parse-error messages for the failing `parse` cases of a conformance folder.

The fixtures record only a substring of each message (`expected.message_contains`); the runner
(`tests/conformance.rs`) also compares our whole message with the one recorded here.

    python tests/support/record_parse_error_messages.py tests/conformance/dspy-3.4.1 \
        > tests/support/parse_error_messages.json

Needs DSPy 3.4.1 (and the pydantic it was recorded with, see the fixtures' README). Builds each
case's signature with DSPy's API (`dspy.InputField()` / `dspy.OutputField(desc=...)`, models and
enums from `type_defs`), calls the adapter's `parse` and writes `str(AdapterParseError)`.
"""

import enum
import json
import pathlib
import sys
import typing
from typing import Any, Literal, Optional, Union

import dspy
import pydantic
from dspy.utils.exceptions import AdapterParseError

ADAPTERS = {"chat": dspy.ChatAdapter, "json": dspy.JSONAdapter, "xml": dspy.XMLAdapter}


def type_env(type_defs):
    env = {"Any": Any, "Literal": Literal, "Optional": Optional, "Union": Union, "dspy": dspy}
    pending = dict(type_defs)
    while pending:
        for name, spec in list(pending.items()):
            if spec["kind"] in ("enum", "int_enum"):
                base = enum.IntEnum if spec["kind"] == "int_enum" else enum.Enum
                env[name] = base(name, {m["name"]: m["value"] for m in spec["members"]})
            else:
                try:
                    fields = {}
                    for f in spec["fields"]:
                        kwargs = {}
                        if "description" in f:
                            kwargs["description"] = f["description"]
                        if not f["required"]:
                            kwargs["default"] = f.get("default")
                        fields[f["name"]] = (eval(f["py_type"], env), pydantic.Field(**kwargs))
                except NameError:
                    continue  # refers to a type defined later
                env[name] = pydantic.create_model(name, **fields)
            del pending[name]
    return env


def signature(sig):
    env = type_env(sig.get("type_defs", {}))
    fields = {}
    for key, make in (("inputs", dspy.InputField), ("outputs", dspy.OutputField)):
        for f in sig[key]:
            assert "constraints" not in f, "constraints are not rebuilt by this script"
            kwargs = {}
            if f["desc"] != "${" + f["name"] + "}":
                kwargs["desc"] = f["desc"]
            if "default" in f:
                kwargs["default"] = f["default"]
            fields[f["name"]] = (eval(f["py_type"], env), make(**kwargs))
    return dspy.Signature(fields, sig["instructions"])


def main(folder):
    messages = {}
    for path in sorted(pathlib.Path(folder).glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if case.get("op") != "parse" or "error" not in case["expected"]:
            continue
        try:
            ADAPTERS[case["adapter"]]().parse(signature(case["signature"]), case["completion"])
        except AdapterParseError as e:
            message = str(e)
        else:
            sys.exit(f"{case['id']}: DSPy parsed the completion")
        assert case["expected"]["message_contains"] in message, case["id"]
        messages[case["id"]] = {
            "adapter": case["adapter"],
            "completion": case["completion"],
            "message": message,
        }
    out = {
        "dspy_version": dspy.__version__,
        "pydantic_version": pydantic.VERSION,
        "notes": "str(AdapterParseError) for each failing parse case, keyed by case id.",
        "messages": messages,
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
