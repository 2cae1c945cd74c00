// README: hosted-model program (start)
use dspy::prelude::*;

/// Answer questions with short factoid answers.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output(desc = "often between 1 and 5 words")]
    answer: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // DSPy's defaults: a response cache, 3 retries, usage tracking. Reads OPENAI_API_KEY, and
    // OPENAI_BASE_URL for any OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama, ...).
    let lm = Lm::new("openai/gpt-4o-mini")?;
    configure(lm.shared());

    let qa = ChainOfThought::<QA>::new();
    let question = "What is the capital of France?".to_string();
    let result = qa.forward(QAInput { question }).await?;
    println!("{} (because: {})", result.answer, result.reasoning);
    println!("{} LM call(s)", lm.usage().snapshot().total().calls);
    Ok(())
}
// README: hosted-model program (end)
