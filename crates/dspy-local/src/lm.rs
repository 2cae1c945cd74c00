//! [`LocalLm`]: the [`LanguageModel`] that runs a GGUF model in process.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dspy_core::lm::{
    BoxFuture, Choice, FinishReason, LanguageModel, LmError, LmRequest, LmResponse, Usage,
};

use crate::engine::{Engine, Finish, GenerateParams, Generation, Prompt, Request};
use crate::error::LocalError;
use crate::guard::ChatFormat;
use crate::sampler::SamplingParams;
use crate::worker::{Reply, Worker};

/// The model name of the default model.
pub const DEFAULT_MODEL: &str = "local/smollm2-135m";

/// File name of the default model in the cache folder (made by `scripts/fetch-model.sh`).
pub const DEFAULT_MODEL_FILE: &str = "smollm2-135m-instruct.q8_0.gguf";

/// Settings of a [`LocalLm`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LocalLmOptions {
    /// Compute threads. `None`: the number of cores. The forward pass runs on rayon's global
    /// pool, which is process-wide and sized once, so the first `LocalLm` created in a process
    /// fixes it (an explicit `CANDLE_NUM_THREADS` or `RAYON_NUM_THREADS` environment variable
    /// wins over both).
    pub threads: Option<usize>,
    /// KV cache positions (prompt plus completion), capped at the model's context length.
    pub context_length: usize,
    /// Requests that may wait in the queue; more fail at once with a retryable rate-limit error.
    pub queue_capacity: usize,
    /// Requests generated at once (at least 1). Concurrent calls (`Evaluate` with several
    /// threads, `Parallel`) share each forward pass, which costs little more than one: about
    /// 2-3x the tokens per second at 4. Each needs a KV cache of `context_length` positions
    /// (up to about 94 MB for the default model at 4096, committed as positions are written),
    /// made when first used.
    pub batch_size: usize,
    /// `max_tokens` when a request sets none.
    pub default_max_tokens: u32,
    /// Steer DSPy chat-format calls ([`crate::guard`]): the completion gives each output field
    /// under its `[[ ## field ## ]]` header, in order, and ends at `[[ ## completed ## ]]`.
    /// The messages are unchanged.
    /// A request can override this with `extra["constrain_chat_format"]` (bool).
    pub constrain_chat_format: bool,
    /// A Jinja chat template to use instead of the model's own.
    pub chat_template: Option<String>,
    /// Seed for sampled (temperature > 0) requests that carry none.
    pub seed: u64,
}

impl Default for LocalLmOptions {
    fn default() -> Self {
        LocalLmOptions {
            threads: None,
            context_length: 4096,
            queue_capacity: 1024,
            batch_size: 4,
            default_max_tokens: 512,
            constrain_chat_format: false,
            chat_template: None,
            seed: 0,
        }
    }
}

impl LocalLmOptions {
    /// Sets the compute thread count.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Sets the context length.
    pub fn context_length(mut self, n: usize) -> Self {
        self.context_length = n;
        self
    }

    /// Sets the queue capacity.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n;
        self
    }

    /// Sets how many requests are generated at once.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Turns constrained chat-format decoding on or off.
    pub fn constrain_chat_format(mut self, on: bool) -> Self {
        self.constrain_chat_format = on;
        self
    }

    /// Sets the chat template.
    pub fn chat_template(mut self, template: impl Into<String>) -> Self {
        self.chat_template = Some(template.into());
        self
    }

    /// Sets the default `max_tokens`.
    pub fn default_max_tokens(mut self, n: u32) -> Self {
        self.default_max_tokens = n;
        self
    }
}

/// The model cache folder: `$DSPY_CACHE_DIR`, else `~/.cache/dspy-rs/models`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DSPY_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache").join("dspy-rs").join("models")
}

/// Where a model string points: `local/smollm2-135m` (the cache folder) or a `.gguf` path.
pub fn resolve_model(model: &str) -> Result<PathBuf, LocalError> {
    match model {
        "local/smollm2-135m" | "local/smollm2-135m-instruct" | "smollm2-135m" => {
            Ok(cache_dir().join(DEFAULT_MODEL_FILE))
        }
        m if m.to_ascii_lowercase().ends_with(".gguf") => {
            Ok(PathBuf::from(m.strip_prefix("local/").unwrap_or(m)))
        }
        m => Err(LocalError::UnknownModel { name: m.into() }),
    }
}

/// Compute threads of this process, fixed by the first call: sizes rayon's global pool, which
/// runs the forward pass. `CANDLE_NUM_THREADS` or `RAYON_NUM_THREADS` in the environment win
/// over `requested`; a global pool someone else built first keeps its size.
fn init_threads(requested: Option<usize>) -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        let from_env = ["CANDLE_NUM_THREADS", "RAYON_NUM_THREADS"]
            .iter()
            .find_map(|k| std::env::var(k).ok()?.parse::<usize>().ok())
            .filter(|&n| n > 0);
        let n = from_env
            .or(requested.filter(|&n| n > 0))
            .unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            });
        // Fails only when the pool exists already; its size is then what we report.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("dspy-local-{i}"))
            .build_global();
        rayon::current_num_threads()
    })
}

/// An LM that runs a GGUF llama-family chat model on the CPU, in process, with no API key.
///
/// Requests go to one inference thread through a bounded FIFO queue (see [`LocalLmOptions`]);
/// awaiting one never blocks the async runtime. Up to `batch_size` concurrent requests are
/// generated together, one forward pass per token for all of them, each with the answer it
/// would get alone. Prompts that share a prefix with an earlier one (the system message and
/// demos of a DSPy program) reuse its cached keys and values.
///
/// Sampling: greedy unless the request sets `temperature > 0`; `extra["top_p"]` and
/// `extra["top_k"]` refine sampling; `seed` (mixed with `rollout_id`) makes it repeatable.
/// Usage counts the prompt's tokens once and every completion's tokens.
#[derive(Debug)]
pub struct LocalLm {
    name: String,
    path: PathBuf,
    options: LocalLmOptions,
    threads: usize,
    context_length: usize,
    load_time: std::time::Duration,
    worker: Worker<Engine, Job>,
}

/// A generation request on its way to the inference thread.
type Job = Request<Reply<Result<Generation, LocalError>>>;

/// Serves the queued generation requests on the inference thread, several at once; a request
/// whose caller stopped waiting is dropped, queued or half done.
fn serve(engine: &mut Engine, next: &mut dyn FnMut() -> Option<Job>) {
    engine.serve(
        &mut || loop {
            let job = next()?;
            if !job.tag.is_abandoned() {
                return Some(job);
            }
        },
        &mut |reply, result| reply.send(result),
        &|reply| !reply.is_abandoned(),
    );
}

impl LocalLm {
    /// The default model (`local/smollm2-135m`) from the cache folder, default options.
    ///
    /// Fails with [`LmError::Config`] naming `bash scripts/fetch-model.sh` when the file is
    /// missing.
    pub fn local_default() -> Result<LocalLm, LmError> {
        LocalLm::new(DEFAULT_MODEL, LocalLmOptions::default()).map_err(LmError::from)
    }

    /// Loads `model` (`local/smollm2-135m`, or the path of a GGUF file).
    pub fn new(model: &str, options: LocalLmOptions) -> Result<LocalLm, LocalError> {
        let path = resolve_model(model)?;
        if !path.is_file() {
            return Err(LocalError::ModelMissing {
                path: path.display().to_string(),
            });
        }
        LocalLm::from_path(model, &path, options)
    }

    /// Loads the GGUF file at `path`, named `name` in responses.
    pub fn from_path(
        name: &str,
        path: &Path,
        options: LocalLmOptions,
    ) -> Result<LocalLm, LocalError> {
        if options.context_length < 2 {
            return Err(LocalError::InvalidOption {
                message: "context_length must be at least 2".into(),
            });
        }
        let threads = init_threads(options.threads);
        let started = std::time::Instant::now();
        let load_path = path.to_path_buf();
        let ctx = options.context_length;
        let template = options.chat_template.clone();
        let batch_size = options.batch_size;
        let worker = Worker::start(
            "dspy-local-inference",
            options.queue_capacity,
            move || {
                let mut engine = Engine::load(&load_path, ctx, template.as_deref())?;
                engine.set_batch_size(batch_size);
                Ok(engine)
            },
            Engine::reset_cache,
            serve,
        )?;
        let load_time = started.elapsed();
        let context_length = worker_context(&worker)?;
        Ok(LocalLm {
            name: name.to_string(),
            path: path.to_path_buf(),
            options,
            threads,
            context_length,
            load_time,
            worker,
        })
    }

    /// The GGUF file in use.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Compute threads in use (process-wide).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Context window in tokens.
    pub fn context_length(&self) -> usize {
        self.context_length
    }

    /// How long loading took.
    pub fn load_time(&self) -> std::time::Duration {
        self.load_time
    }

    /// The options.
    pub fn options(&self) -> &LocalLmOptions {
        &self.options
    }

    /// Queue capacity.
    pub fn queue_capacity(&self) -> usize {
        self.worker.capacity()
    }

    /// Runs `f` on the inference thread with the engine (for benchmarks and tools).
    pub async fn with_engine<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Engine) -> Result<T, LocalError> + Send + 'static,
    ) -> Result<T, LocalError> {
        self.worker.submit(f)?.await?
    }

    fn params(&self, request: &LmRequest) -> Result<GenerateParams, LocalError> {
        let temperature = request.temperature.unwrap_or(0.0);
        if !temperature.is_finite() || temperature < 0.0 {
            return Err(LocalError::InvalidOption {
                message: format!("temperature {temperature} is not a finite number >= 0"),
            });
        }
        let extra_f = |k: &str| request.extra.get(k).and_then(serde_json::Value::as_f64);
        let top_p = extra_f("top_p").unwrap_or(1.0);
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err(LocalError::InvalidOption {
                message: format!("top_p {top_p} is not in (0, 1]"),
            });
        }
        let top_k = request
            .extra
            .get("top_k")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let n = request.n.unwrap_or(1);
        if n == 0 || n > 64 {
            return Err(LocalError::InvalidOption {
                message: format!("n = {n} is not between 1 and 64"),
            });
        }
        let seed = request
            .seed
            .unwrap_or(self.options.seed)
            .wrapping_add(request.rollout_id.unwrap_or(0).wrapping_mul(0x9E37_79B9));
        let constrain = request
            .extra
            .get("constrain_chat_format")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(self.options.constrain_chat_format);
        let chat_format = if constrain {
            ChatFormat::from_messages(&request.messages)
        } else {
            None
        };
        Ok(GenerateParams {
            max_tokens: request
                .max_tokens
                .unwrap_or(self.options.default_max_tokens) as usize,
            n: n as usize,
            stop: request
                .stop
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect(),
            sampling: SamplingParams {
                temperature: temperature as f32,
                top_p: top_p as f32,
                top_k: usize::try_from(top_k).unwrap_or(usize::MAX),
                seed,
            },
            forced_prefix: None,
            stop_inclusive: Vec::new(),
            chat_format,
        })
    }
}

fn worker_context(worker: &Worker<Engine, Job>) -> Result<usize, LocalError> {
    let waiting = worker.submit(|e: &mut Engine| Ok(e.context_length()))?;
    block_on(waiting)?
}

/// Waits for a future on this thread (used only while constructing, off any runtime's hot path).
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// The first output field named by a DSPy chat-format request: the last user message's
/// "starting with the field `[[ ## name ## ]]`" reminder.
pub fn first_output_field(request: &LmRequest) -> Option<String> {
    crate::guard::first_output_field(&request.messages)
}

fn to_response(model: &str, g: Generation) -> LmResponse {
    let completion_tokens: usize = g.completions.iter().map(|c| c.tokens).sum();
    let choices = g
        .completions
        .into_iter()
        .map(|c| {
            let mut choice = Choice::text(c.text);
            choice.finish_reason = Some(match c.finish {
                Finish::Stop => FinishReason::Stop,
                Finish::Length => FinishReason::Length,
            });
            choice
        })
        .collect();
    let mut response = LmResponse::text(model, "");
    response.choices = choices;
    response.usage = Usage {
        prompt_tokens: g.stats.prompt_tokens as u64,
        completion_tokens: completion_tokens as u64,
        total_tokens: (g.stats.prompt_tokens + completion_tokens) as u64,
    };
    response
}

impl LanguageModel for LocalLm {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            if !request.tools.is_empty() {
                return Err(LmError::InvalidRequest {
                    status: 400,
                    message: "local models do not take native tool calls; use an adapter that \
                              writes tool calls as text (e.g. ChatAdapter with ReAct)"
                        .into(),
                });
            }
            let params = self.params(&request)?;
            let prompt = Prompt::Messages(request.messages);
            let waiting = self.worker.submit_item(|tag| Request {
                prompt,
                params,
                tag,
            })?;
            let generation = waiting.await.map_err(LmError::from)??;
            Ok(to_response(&self.name, generation))
        })
    }

    fn model(&self) -> &str {
        &self.name
    }

    /// The embedded model has no tool-call format: tools are shown in the prompt instead.
    fn supports_function_calling(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dspy_adapters::Message;

    #[test]
    fn model_strings_resolve() {
        assert!(resolve_model("local/smollm2-135m")
            .expect("known")
            .ends_with(DEFAULT_MODEL_FILE));
        assert_eq!(
            resolve_model("/tmp/x.gguf").expect("path"),
            PathBuf::from("/tmp/x.gguf")
        );
        assert!(matches!(
            resolve_model("openai/gpt-4o"),
            Err(LocalError::UnknownModel { .. })
        ));
    }

    #[test]
    fn missing_model_names_the_fetch_command() {
        let e = LocalLm::new("/nonexistent/dir/m.gguf", LocalLmOptions::default())
            .expect_err("missing");
        let e = LmError::from(e);
        assert!(matches!(e, LmError::Config { .. }));
        assert!(e.to_string().contains("bash scripts/fetch-model.sh"), "{e}");
    }

    #[test]
    fn finds_the_first_output_field() {
        let r = LmRequest::new(vec![
            Message::system("x"),
            Message::user(
                "[[ ## q ## ]]\nhi\n\nRespond with the corresponding output fields, starting with \
                 the field `[[ ## answer ## ]]`, and then ending with the marker for \
                 `[[ ## completed ## ]]`.",
            ),
        ]);
        assert_eq!(first_output_field(&r).as_deref(), Some("answer"));
        assert_eq!(
            first_output_field(&LmRequest::new(vec![Message::user("hi")])),
            None
        );
    }
}
