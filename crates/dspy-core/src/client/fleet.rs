//! [`Fleet`]: one model served by several endpoints, called round-robin with per-endpoint health.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};

/// How long an endpoint is skipped after a retryable failure, unless the provider said.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);

/// Several LMs serving one model (e.g. vLLM replicas at different base URLs), used round-robin.
///
/// An endpoint that fails with a retryable error ([`LmError::is_retryable`]) is marked unhealthy
/// for the cool-down (or the provider's `Retry-After`, when it gave one) and skipped while others
/// are healthy; when every endpoint is unhealthy, the one whose cool-down ends first is tried.
/// With failover on (the default), a call that fails retryably moves on to the next endpoint, each
/// endpoint at most once per call. Other errors (auth, bad request, context length) are returned
/// at once. A success marks the endpoint healthy again.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use dspy_core::client::{Fleet, OpenAiClient};
/// use dspy_core::lm::SharedLm;
///
/// # fn run() -> Result<(), dspy_core::lm::LmError> {
/// let replicas = ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"]
///     .into_iter()
///     .map(|url| -> Result<SharedLm, _> {
///         Ok(Arc::new(OpenAiClient::builder("qwen2.5-7b").base_url(url).build()?))
///     })
///     .collect::<Result<Vec<_>, _>>()?;
/// let lm = Fleet::new(replicas)?.cooldown(Duration::from_secs(10));
/// # Ok(())
/// # }
/// ```
pub struct Fleet {
    members: Vec<Member>,
    next: AtomicUsize,
    cooldown: Duration,
    failover: bool,
    epoch: Instant,
    name: String,
}

struct Member {
    lm: SharedLm,
    /// Nanoseconds since `epoch` until which the member is skipped; 0 = healthy.
    unhealthy_until: AtomicU64,
}

impl Fleet {
    /// A fleet over `members` (at least one); its model name is the first member's.
    pub fn new(members: Vec<SharedLm>) -> Result<Fleet, LmError> {
        let name = match members.first() {
            Some(lm) => lm.model().to_owned(),
            None => return Err(LmError::config("a Fleet needs at least one LM endpoint")),
        };
        Ok(Fleet {
            members: members
                .into_iter()
                .map(|lm| Member {
                    lm,
                    unhealthy_until: AtomicU64::new(0),
                })
                .collect(),
            next: AtomicUsize::new(0),
            cooldown: DEFAULT_COOLDOWN,
            failover: true,
            epoch: Instant::now(),
            name,
        })
    }

    /// Sets how long a failed endpoint is skipped (default [`DEFAULT_COOLDOWN`]).
    pub fn cooldown(mut self, cooldown: Duration) -> Fleet {
        self.cooldown = cooldown;
        self
    }

    /// Whether a call that fails retryably is tried on the next endpoint (default true).
    pub fn failover(mut self, failover: bool) -> Fleet {
        self.failover = failover;
        self
    }

    /// Sets the model name [`LanguageModel::model`] returns.
    pub fn name(mut self, name: impl Into<String>) -> Fleet {
        self.name = name.into();
        self
    }

    /// The number of endpoints.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false: a fleet has at least one endpoint.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether endpoint `index` is currently healthy (false for an index out of range).
    pub fn is_healthy(&self, index: usize) -> bool {
        let now = self.now();
        self.members
            .get(index)
            .is_some_and(|m| healthy(m.unhealthy_until.load(Ordering::Relaxed), now))
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The next endpoint to try: the first healthy untried one in round-robin order from
    /// `start`, else the untried one whose cool-down ends first.
    fn pick(&self, start: usize, tried: &[bool]) -> Option<usize> {
        let n = self.members.len();
        let now = self.now();
        let order = (0..n).map(|i| (start + i) % n).filter(|&i| !tried[i]);
        let mut soonest: Option<(u64, usize)> = None;
        for i in order {
            let until = self.members[i].unhealthy_until.load(Ordering::Relaxed);
            if healthy(until, now) {
                return Some(i);
            }
            let sooner = match soonest {
                Some((best, _)) => until < best,
                None => true,
            };
            if sooner {
                soonest = Some((until, i));
            }
        }
        soonest.map(|(_, i)| i)
    }

    fn mark_failed(&self, index: usize, err: &LmError) {
        let wait = err.retry_after().unwrap_or(self.cooldown);
        let wait = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        let until = self.now().saturating_add(wait).max(1);
        self.members[index]
            .unhealthy_until
            .store(until, Ordering::Relaxed);
    }

    fn mark_healthy(&self, index: usize) {
        let slot = &self.members[index].unhealthy_until;
        if slot.load(Ordering::Relaxed) != 0 {
            slot.store(0, Ordering::Relaxed);
        }
    }
}

fn healthy(until: u64, now: u64) -> bool {
    until == 0 || until <= now
}

impl LanguageModel for Fleet {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            let n = self.members.len();
            let start = self.next.fetch_add(1, Ordering::Relaxed) % n.max(1);
            let attempts = if self.failover { n } else { 1 };
            let mut tried = vec![false; n];
            let mut request = Some(request);
            let mut last_error = None;
            for attempt in 0..attempts {
                let Some(index) = self.pick(start, &tried) else {
                    break;
                };
                tried[index] = true;
                let this_request = if attempt + 1 < attempts {
                    request.clone()
                } else {
                    request.take()
                };
                let Some(this_request) = this_request else {
                    break;
                };
                match self.members[index].lm.call(this_request).await {
                    Ok(response) => {
                        self.mark_healthy(index);
                        return Ok(response);
                    }
                    Err(err) if err.is_retryable() => {
                        self.mark_failed(index, &err);
                        last_error = Some(err);
                    }
                    Err(err) => return Err(err),
                }
            }
            Err(last_error
                .unwrap_or_else(|| LmError::config("a Fleet needs at least one LM endpoint")))
        })
    }

    fn model(&self) -> &str {
        &self.name
    }

    /// True when every member supports function calling (any member may answer).
    fn supports_function_calling(&self) -> bool {
        self.members
            .iter()
            .all(|m| m.lm.supports_function_calling())
    }
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let now = self.now();
        let members: Vec<(&dyn LanguageModel, bool)> = self
            .members
            .iter()
            .map(|m| {
                let lm: &dyn LanguageModel = &*m.lm;
                (lm, healthy(m.unhealthy_until.load(Ordering::Relaxed), now))
            })
            .collect();
        f.debug_struct("Fleet")
            .field("name", &self.name)
            .field("members (lm, healthy)", &members)
            .field("cooldown", &self.cooldown)
            .field("failover", &self.failover)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::sync::Arc;

    /// Answers with its own id, or fails with a scripted error.
    #[derive(Debug)]
    struct Stub {
        id: &'static str,
        fail: Option<LmError>,
        calls: AtomicU32,
    }

    impl LanguageModel for Stub {
        fn call(&self, _: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Box::pin(async move {
                match &self.fail {
                    Some(err) => Err(err.clone()),
                    None => Ok(LmResponse::text(self.id, self.id)),
                }
            })
        }
        fn model(&self) -> &str {
            "stub/model"
        }
    }

    fn stub(id: &'static str, fail: Option<LmError>) -> Arc<Stub> {
        Arc::new(Stub {
            id,
            fail,
            calls: AtomicU32::new(0),
        })
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The stubs never wait, so one poll finishes them.
        let mut f = std::pin::pin!(f);
        struct Noop;
        impl std::task::Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let waker = std::task::Waker::from(Arc::new(Noop));
        let mut cx = std::task::Context::from_waker(&waker);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("stub future was pending"),
        }
    }

    fn answer(fleet: &Fleet) -> Result<String, LmError> {
        block_on(fleet.call(LmRequest::default())).map(|r| r.choices[0].text.clone())
    }

    #[test]
    fn empty_fleet_is_a_config_error() {
        assert!(matches!(Fleet::new(vec![]), Err(LmError::Config { .. })));
    }

    #[test]
    fn round_robin() {
        let fleet = Fleet::new(vec![stub("a", None), stub("b", None), stub("c", None)]).unwrap();
        let got: Vec<String> = (0..6).map(|_| answer(&fleet).unwrap()).collect();
        assert_eq!(got, ["a", "b", "c", "a", "b", "c"]);
        assert_eq!(fleet.model(), "stub/model");
    }

    #[test]
    fn failover_and_cooldown() {
        let down = LmError::Server {
            status: 503,
            message: "down".into(),
            retry_after: None,
        };
        let a = stub("a", Some(down));
        let b = stub("b", None);
        let fleet = Fleet::new(vec![a.clone(), b.clone()])
            .unwrap()
            .cooldown(Duration::from_secs(60));
        assert_eq!(answer(&fleet).unwrap(), "b", "failed over from a");
        assert!(!fleet.is_healthy(0) && fleet.is_healthy(1));
        for _ in 0..4 {
            assert_eq!(answer(&fleet).unwrap(), "b");
        }
        assert_eq!(
            a.calls.load(Ordering::Relaxed),
            1,
            "a skipped while cooling down"
        );
    }

    #[test]
    fn non_retryable_errors_return_at_once() {
        let auth = LmError::Auth {
            status: 401,
            message: "no".into(),
        };
        let a = stub("a", Some(auth));
        let b = stub("b", None);
        let fleet = Fleet::new(vec![a, b.clone()]).unwrap();
        assert!(matches!(answer(&fleet), Err(LmError::Auth { .. })));
        assert_eq!(b.calls.load(Ordering::Relaxed), 0);
        assert!(fleet.is_healthy(0));
    }

    #[test]
    fn all_unhealthy_tries_the_soonest() {
        let limited = |secs| LmError::RateLimited {
            retry_after: Some(Duration::from_secs(secs)),
        };
        let a = stub("a", Some(limited(100)));
        let b = stub("b", Some(limited(5)));
        let fleet = Fleet::new(vec![a.clone(), b.clone()]).unwrap();
        assert!(matches!(answer(&fleet), Err(LmError::RateLimited { .. })));
        assert_eq!(
            (
                a.calls.load(Ordering::Relaxed),
                b.calls.load(Ordering::Relaxed)
            ),
            (1, 1)
        );
        // Both cooling down: b's cool-down ends first, so b alone is tried.
        let fleet = fleet.failover(false);
        let _ = answer(&fleet);
        let _ = answer(&fleet);
        assert_eq!(
            (
                a.calls.load(Ordering::Relaxed),
                b.calls.load(Ordering::Relaxed)
            ),
            (1, 3)
        );
    }
}
