//! Observability hooks: `performance.mark`/`measure` for each phase (fetch, parse, aggregate,
//! render), and `document.body.dataset.state`, which tests and benchmarks wait on.
//!
//! Marks and measures are named `cinelake:<phase>` so a profiler or a benchmark can read them
//! with `performance.getEntriesByType("measure")`.

fn performance() -> Option<web_sys::Performance> {
    web_sys::window().and_then(|window| window.performance())
}

/// Milliseconds since the page started (`performance.now()`), or 0 outside a browser.
pub fn now() -> f64 {
    performance().map_or(0.0, |performance| performance.now())
}

/// `performance.mark("cinelake:<name>")`.
pub fn mark(name: &str) {
    if let Some(performance) = performance() {
        let _ = performance.mark(&format!("cinelake:{name}"));
    }
}

/// `performance.measure("cinelake:<name>", "cinelake:<start>", "cinelake:<end>")`.
pub fn measure(name: &str, start: &str, end: &str) {
    if let Some(performance) = performance() {
        let _ = performance.measure_with_start_mark_and_end_mark(
            &format!("cinelake:{name}"),
            &format!("cinelake:{start}"),
            &format!("cinelake:{end}"),
        );
    }
}

/// Runs `work` between two marks and measures it as `name`.
pub fn timed<T>(name: &str, work: impl FnOnce() -> T) -> T {
    mark(&format!("{name}:start"));
    let value = work();
    mark(&format!("{name}:end"));
    measure(name, &format!("{name}:start"), &format!("{name}:end"));
    value
}

/// The page's state for tests and benchmarks: `loading`, `ready`, `empty` (waiting for a file)
/// or `error`, on `document.body.dataset.state`.
pub fn set_state(state: &str) {
    if let Some(body) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.body())
    {
        let dataset = body.dataset();
        // `cinelake:ready` marks the first time the page became ready since it last loaded:
        // the benchmark's "navigation to ready" figure.
        if state == "ready" && dataset.get("state").as_deref() != Some("ready") {
            mark("ready");
        }
        let _ = dataset.set("state", state);
    }
}
