"""Writes the saved programs the save/load tests read, with Python DSPy 3.4.1.

Run from this folder: `/path/to/python make_saved_programs.py`. Each file is what
`program.save(path)` writes; the tests rebuild the same programs in Rust.
"""
import pydantic

import dspy

# 1. A bare Predict with two labeled demos.
p = dspy.Predict("question -> answer")
p.demos = [
    dspy.Example(question="Capital of Spain?", answer="Madrid").with_inputs("question"),
    {"question": "Capital of Peru?", "answer": "Lima"},
]
p.save("predict_demos.json")

# 2. A ChainOfThought with new instructions, an edited description and a bootstrapped demo.
cot = dspy.ChainOfThought("question -> answer, confidence: float")
cot.predict.signature = cot.predict.signature.with_instructions("Think step by step, then answer.\nBe brief.")
cot.predict.signature = cot.predict.signature.with_updated_fields("answer", desc="One word.")
cot.predict.demos = [
    dspy.Example(question="Capital of Kenya?", reasoning="Kenya's capital is Nairobi.", answer="Nairobi",
                 confidence=1.0, augmented=True).with_inputs("question"),
]
cot.save("cot_edited.json")


# 3. A module with a nested ChainOfThought, a list of predictors and a plain predictor; one
#    predictor has an LM with settings.
class Multi(dspy.Module):
    def __init__(self):
        super().__init__()
        self.generate_answer = dspy.ChainOfThought("question -> answer")
        self.hops = [dspy.Predict("context, question -> query"), dspy.Predict("context, question -> query")]
        self.summarize = dspy.Predict("text -> summary")


m = Multi()
m.hops[1].demos = [{"context": ["a", "b"], "question": "Who?", "query": "who wrote a"}]
m.summarize.lm = dspy.LM("openai/gpt-4o-mini", temperature=0.3, max_tokens=200)
m.save("multi.json")


# 4. Typed outputs whose demo holds a pydantic model and non-ASCII text.
class Person(pydantic.BaseModel):
    name: str
    age: int


class Extract(dspy.Signature):
    """Extract the person.

    Keep the name as written."""

    bio: str = dspy.InputField(desc="a short biography")
    person: Person = dspy.OutputField()
    score: float = dspy.OutputField()


t = dspy.Predict(Extract)
t.demos = [dspy.Example(bio="Zoë, 36, Zürich", person=Person(name="Zoë", age=36), score=0.5)]
t.save("typed.json")
