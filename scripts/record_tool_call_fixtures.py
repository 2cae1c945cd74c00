"""Records how Python DSPy 3.4.1's adapters handle `dspy.Tool` inputs and `dspy.ToolCalls`
outputs, in text mode (the tools and calls are fields of the prompt) and in native
function-calling mode (the tools go to the LM as `tools`, the LM's tool calls fill the
`ToolCalls` field), so the Rust adapters and `Predict` can be compared call by call.

The LM is a small `dspy.BaseLM` whose `forward` returns the next scripted OpenAI-shaped message
(`content` and `tool_calls`) and records each call's messages and keyword arguments (`tools`,
`response_format`, ...). It claims function calling support (and, for the JSON adapter,
`response_format` with schemas) unless a case says otherwise. Each fixture holds:

    {"dspy_version", "case", "adapter": "ChatAdapter" | "JSONAdapter" | "XMLAdapter",
     "native": use_native_function_calling, "lm_supports_function_calling": bool,
     "signature": {"instructions", "inputs": [[name, type]], "outputs": [[name, type]]},
     "tools": [{"name", "desc", "args"}], "inputs": {...}, "demos": [{...}],
     "lm_answers": [{"text", "tool_calls"}], "calls": [{"messages", "kwargs"}],
     "prediction": {...} or null, "error": "<exception type>: <message>" or null}

Tool-typed values in "inputs" and "demos" are written as {"name", "desc", "args"}, ToolCalls
values as {"tool_calls": [{"id", "name", "args"}]}.

Run (needs `pip install dspy==3.4.1`, e.g. in a venv):

    python scripts/record_tool_call_fixtures.py

It writes crates/dspy-core/tests/fixtures/tool_calls/<case>.json for
crates/dspy-core/tests/tool_calls_parity.rs; CI needs no Python.
"""

import json
import pathlib
import sys
import warnings

import dspy

from fixture_json import jsonable

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "crates/dspy-core/tests/fixtures/tool_calls"


class ScriptedLM(dspy.BaseLM):
    """Answers each call with the next scripted message and records the call."""

    def __init__(self, answers, function_calling=True, response_schema=True):
        super().__init__(model="openai/scripted", model_type="chat", temperature=0.0, max_tokens=1000)
        self.answers = list(answers)
        self.calls = []
        self.function_calling = function_calling
        self.response_schema = response_schema

    @property
    def supports_function_calling(self):
        return self.function_calling

    @property
    def supports_response_schema(self):
        return self.response_schema

    @property
    def supported_params(self):
        return {"response_format"} if self.response_schema else set()

    def forward(self, prompt=None, messages=None, **kwargs):
        self.calls.append({
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "kwargs": jsonable(kwargs),
        })
        if not self.answers:
            raise RuntimeError("the script has no more answers")
        answer = self.answers.pop(0)
        message = {"role": "assistant", "content": answer.get("text"), "tool_calls": answer.get("tool_calls")}
        return {
            "id": "scripted",
            "model": "scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }


# ---------------------------------------------------------------------------------------------
# Tools and signatures


def weather(city: str, units: str = "C") -> str:
    """Current weather in a city.
    Gives the sky and the temperature."""
    return f"sunny in {city}"


def add(a: int, b: int) -> int:
    return a + b


TOOLS = [dspy.Tool(weather), dspy.Tool(add)]


class AskWithTools(dspy.Signature):
    """Answer the question, calling tools when they help."""

    question: str = dspy.InputField()
    tools: list[dspy.Tool] = dspy.InputField()
    answer: str = dspy.OutputField()
    tool_calls: dspy.ToolCalls = dspy.OutputField()


class OneTool(dspy.Signature):
    """Call the tool."""

    request: str = dspy.InputField()
    tool: dspy.Tool = dspy.InputField(desc="the only tool")
    calls: dspy.ToolCalls = dspy.OutputField(desc="what to call")


class CallsWithoutTools(dspy.Signature):
    """Plan calls."""

    question: str = dspy.InputField()
    tool_calls: dspy.ToolCalls = dspy.OutputField()


def signature_dict(signature):
    def fields(items):
        return [[name, annotation_name(f.annotation)] for name, f in items]

    def annotation_name(annotation):
        if annotation is dspy.Tool:
            return "dspy.Tool"
        if annotation is dspy.ToolCalls:
            return "dspy.ToolCalls"
        if annotation == list[dspy.Tool]:
            return "list[dspy.Tool]"
        return annotation.__name__

    descs = {
        name: f.json_schema_extra.get("desc")
        for name, f in signature.fields.items()
        if f.json_schema_extra.get("desc") != f"${{{name}}}"
    }
    return {
        "instructions": signature.instructions,
        "inputs": fields(signature.input_fields.items()),
        "outputs": fields(signature.output_fields.items()),
        "descs": descs,
    }


def call(function, name, args):
    return {"id": f"call_{name}", "type": "function", "function": {"name": name, "arguments": args}}


PARIS = [call("weather", "weather", '{"city": "Paris"}')]
TWO = [call("weather", "weather", '{"city": "Rome", "units": "F"}'), call("add", "add", '{"a": 2, "b": 3}')]

CHAT_TEXT = (
    "[[ ## answer ## ]]\nI will look it up.\n\n[[ ## tool_calls ## ]]\n"
    '{"tool_calls": [{"name": "weather", "args": {"city": "Paris"}}]}\n\n[[ ## completed ## ]]'
)
DEMO = {
    "question": "What is 1 plus 1?",
    "tools": TOOLS,
    "answer": "Adding.",
    "tool_calls": dspy.ToolCalls.from_dict_list([{"name": "add", "args": {"a": 1, "b": 1}}]),
}

CASES = {
    # Text mode: the tools are listed in the prompt and the calls are parsed from the text.
    "chat-text": dict(adapter=dspy.ChatAdapter(), answers=[{"text": CHAT_TEXT}], demos=[DEMO]),
    "xml-text": dict(
        adapter=dspy.XMLAdapter(),
        answers=[{"text": '<answer>Look up.</answer>\n<tool_calls>{"tool_calls": [{"name": "add", "args": {"a": 2, "b": 3}}]}</tool_calls>'}],
    ),
    "json-text": dict(
        adapter=dspy.JSONAdapter(use_native_function_calling=False),
        answers=[{"text": '{"answer": "Two calls.", "tool_calls": [{"name": "add", "args": {"a": 1, "b": 2}}, {"name": "weather", "args": {"city": "Oslo"}}]}'}],
    ),
    # Native mode: the tools go in the request, the LM's tool calls fill the ToolCalls field.
    "json-native": dict(adapter=dspy.JSONAdapter(), answers=[{"text": None, "tool_calls": TWO}], demos=[DEMO]),
    "json-native-text-and-calls": dict(
        adapter=dspy.JSONAdapter(), answers=[{"text": '{"answer": "Checking."}', "tool_calls": PARIS}]
    ),
    "json-native-bad-text-with-calls": dict(
        adapter=dspy.JSONAdapter(), answers=[{"text": "Let me check that.", "tool_calls": PARIS}]
    ),
    "chat-native": dict(adapter=dspy.ChatAdapter(use_native_function_calling=True), answers=[{"text": None, "tool_calls": PARIS}]),
    "chat-native-text-only": dict(
        adapter=dspy.ChatAdapter(use_native_function_calling=True),
        answers=[{"text": "[[ ## answer ## ]]\nNo tool needed.\n\n[[ ## completed ## ]]"}],
    ),
    "json-native-unsupported": dict(
        adapter=dspy.JSONAdapter(),
        function_calling=False,
        answers=[{"text": '{"answer": "Text calls.", "tool_calls": {"tool_calls": [{"name": "add", "args": {"a": 4, "b": 5}}]}}'}],
    ),
    "json-native-no-schema": dict(
        adapter=dspy.JSONAdapter(), response_schema=False, answers=[{"text": None, "tool_calls": PARIS}]
    ),
    "one-tool-native": dict(
        adapter=dspy.JSONAdapter(),
        signature=OneTool,
        inputs={"request": "Add 2 and 3.", "tool": TOOLS[1]},
        answers=[{"text": None, "tool_calls": [call("add", "add", '{"a": 2, "b": 3}')]}],
    ),
    "one-tool-text": dict(
        adapter=dspy.ChatAdapter(),
        signature=OneTool,
        inputs={"request": "Add 2 and 3.", "tool": TOOLS[1]},
        answers=[{"text": '[[ ## calls ## ]]\n{"name": "add", "args": {"a": 2, "b": 3}}\n\n[[ ## completed ## ]]'}],
    ),
    "calls-without-tools": dict(
        adapter=dspy.JSONAdapter(),
        signature=CallsWithoutTools,
        inputs={"question": "Anything?"},
        answers=[],
    ),
}


def record(name, adapter, answers, signature=AskWithTools, inputs=None, demos=(), function_calling=True,
           response_schema=True):
    inputs = inputs or {"question": "What is the weather in Paris?", "tools": TOOLS}
    lm = ScriptedLM(answers, function_calling=function_calling, response_schema=response_schema)
    predict = dspy.Predict(signature)
    predict.demos = list(demos)
    prediction, error = None, None
    with dspy.context(lm=lm, adapter=adapter):
        try:
            prediction = {k: jsonable(v) for k, v in predict(**inputs).items()}
        except Exception as e:  # recorded: the Rust port must fail the same way
            error = f"{type(e).__name__}: {e}"
    if lm.answers:
        raise RuntimeError(f"{name}: {len(lm.answers)} scripted answers were not used")
    return {
        "dspy_version": dspy.__version__,
        "case": name,
        "adapter": type(adapter).__name__,
        "native": adapter.use_native_function_calling,
        "lm_supports_function_calling": function_calling,
        "lm_supports_response_schema": response_schema,
        "signature": signature_dict(signature),
        "inputs": jsonable(inputs),
        "demos": jsonable(list(demos)),
        "lm_answers": answers,
        "calls": lm.calls,
        "prediction": prediction,
        "error": error,
    }


def main():
    if dspy.__version__ != "3.4.1":
        sys.exit(f"needs dspy 3.4.1, found {dspy.__version__}")
    warnings.filterwarnings("ignore")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, case in CASES.items():
        fixture = record(name, **case)
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({len(fixture['calls'])} LM calls, error: {fixture['error']})")


if __name__ == "__main__":
    main()
