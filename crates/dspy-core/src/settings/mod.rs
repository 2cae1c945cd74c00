//! Program-wide defaults: the LM and adapter predictors use when none is given to them, like
//! DSPy's `dspy.configure(...)` (global) and `dspy.context(...)` (scoped).
//!
//! A predictor picks its LM from, in order: the call's options, the predictor's own LM, the
//! innermost [`with_lm`] scope around the running task, then the global [`configure`]d LM.
//! Scopes are tokio task-locals: they cover everything the future awaits, including the
//! concurrent calls of [`Evaluate`](crate::evaluate::Evaluate) and
//! [`ModuleExt::batch`](crate::module::ModuleExt::batch), but not tasks you `tokio::spawn`
//! yourself (wrap those futures in their own scope).
//!
//! ```
//! use std::sync::Arc;
//! use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
//! use dspy_core::settings;
//!
//! #[derive(Debug)]
//! struct Echo(&'static str);
//! impl LanguageModel for Echo {
//!     fn call(&self, _: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
//!         Box::pin(async move { Ok(LmResponse::text(self.0, "")) })
//!     }
//!     fn model(&self) -> &str { self.0 }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! settings::configure(Arc::new(Echo("global")));
//! let scoped: SharedLm = Arc::new(Echo("scoped"));
//! let inside = settings::with_lm(scoped, async { settings::lm().unwrap().model().to_string() }).await;
//! assert_eq!(inside, "scoped");
//! assert_eq!(settings::lm().unwrap().model(), "global");
//! # });
//! ```

use std::future::Future;
use std::sync::RwLock;

use dspy_adapters::{IntoAdapter, SharedAdapter};

use crate::lm::SharedLm;

/// The global defaults [`configure`] and friends set.
#[derive(Debug)]
struct Global {
    lm: Option<SharedLm>,
    adapter: Option<SharedAdapter>,
    num_threads: usize,
    max_errors: usize,
}

static GLOBAL: RwLock<Global> = RwLock::new(Global {
    lm: None,
    adapter: None,
    num_threads: 8,
    max_errors: 10,
});

/// Overrides active inside a [`with_lm`] / [`with_adapter`] scope.
#[derive(Debug, Clone, Default)]
struct Scope {
    lm: Option<SharedLm>,
    adapter: Option<SharedAdapter>,
}

tokio::task_local! {
    static SCOPE: Scope;
}

fn read<T>(f: impl FnOnce(&Global) -> T) -> T {
    let guard = GLOBAL.read().unwrap_or_else(|e| e.into_inner());
    f(&guard)
}

fn write(f: impl FnOnce(&mut Global)) {
    let mut guard = GLOBAL.write().unwrap_or_else(|e| e.into_inner());
    f(&mut guard);
}

fn current_scope() -> Scope {
    SCOPE.try_with(Scope::clone).unwrap_or_default()
}

/// Sets the global default LM (DSPy's `dspy.configure(lm=...)`).
pub fn configure(lm: SharedLm) {
    write(|g| g.lm = Some(lm));
}

/// Removes the global default LM.
pub fn clear_lm() {
    write(|g| g.lm = None);
}

/// Sets the global default adapter (DSPy's `dspy.configure(adapter=...)`): an
/// [`AdapterKind`](dspy_adapters::AdapterKind) or any [`Adapter`](dspy_adapters::Adapter);
/// predictors use the Chat adapter when none is set anywhere.
pub fn configure_adapter(adapter: impl IntoAdapter) {
    let adapter = adapter.into_adapter();
    write(|g| g.adapter = Some(adapter));
}

/// Removes the global default adapter.
pub fn clear_adapter() {
    write(|g| g.adapter = None);
}

/// Sets the default concurrency of [`Evaluate`](crate::evaluate::Evaluate) and batches
/// (DSPy's `num_threads`, 8 unless changed). Zero is treated as one.
pub fn configure_num_threads(n: usize) {
    write(|g| g.num_threads = n.max(1));
}

/// Sets the default number of failures after which an evaluation stops (DSPy's
/// `max_errors`, 10 unless changed).
pub fn configure_max_errors(n: usize) {
    write(|g| g.max_errors = n);
}

/// The LM in effect here: the innermost [`with_lm`] scope's, else the global one.
pub fn lm() -> Option<SharedLm> {
    current_scope().lm.or_else(|| read(|g| g.lm.clone()))
}

/// The adapter in effect here: the innermost [`with_adapter`] scope's, else the global one
/// (`None` means predictors use their own choice or the Chat adapter).
pub fn adapter() -> Option<SharedAdapter> {
    current_scope()
        .adapter
        .or_else(|| read(|g| g.adapter.clone()))
}

/// The default concurrency of evaluations and batches.
pub fn num_threads() -> usize {
    read(|g| g.num_threads)
}

/// The default failure limit of evaluations.
pub fn max_errors() -> usize {
    read(|g| g.max_errors)
}

/// Runs `fut` with `lm` as the default LM (DSPy's `with dspy.context(lm=...)`).
pub async fn with_lm<F: Future>(lm: SharedLm, fut: F) -> F::Output {
    let mut scope = current_scope();
    scope.lm = Some(lm);
    SCOPE.scope(scope, fut).await
}

/// Runs `fut` with `adapter` as the default adapter (DSPy's `with dspy.context(adapter=...)`).
///
/// ```
/// use dspy_core::{adapters::AdapterKind, settings};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let inside = settings::with_adapter(AdapterKind::Json, async { settings::adapter() }).await;
/// assert_eq!(inside.map(|a| a.kind()), Some(AdapterKind::Json));
/// # });
/// ```
pub async fn with_adapter<F: Future>(adapter: impl IntoAdapter, fut: F) -> F::Output {
    let mut scope = current_scope();
    scope.adapter = Some(adapter.into_adapter());
    SCOPE.scope(scope, fut).await
}
