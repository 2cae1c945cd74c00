"""JSON for values recorded by the fixture scripts (shared by record_*_fixtures.py)."""

import dspy


def jsonable(value):
    """The value as JSON: dicts and lists recursed into, Tools as {name, desc, args},
    ToolCalls as {tool_calls: [...]}, pydantic classes as their schema, anything else its repr."""
    if isinstance(value, dspy.Tool):
        return {"name": value.name, "desc": value.desc, "args": value.args}
    if isinstance(value, dspy.ToolCalls):
        return {"tool_calls": [{"id": c.id, "name": c.name, "args": c.args} for c in value.tool_calls]}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, type):
        return {"pydantic_schema": value.model_json_schema()}
    return repr(value)
