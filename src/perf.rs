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

/// `performance.measure("cinelake:<name>", {start, duration})`: a measure of time spent in
/// pieces (parsing between network chunks), placed where the work started.
pub fn measure_span(name: &str, start: f64, duration: f64) {
    use wasm_bindgen::{JsCast, JsValue};
    let Some(performance) = performance() else {
        return;
    };
    let options = js_sys::Object::new();
    let set = |key: &str, value: f64| {
        js_sys::Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_f64(value))
    };
    if set("start", start).is_err() || set("duration", duration).is_err() {
        return;
    }
    // web-sys names this overload behind a feature the dashboard does not enable.
    if let Some(measure) = js_sys::Reflect::get(&performance, &JsValue::from_str("measure"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let _ = measure.call2(
            &performance,
            &JsValue::from_str(&format!("cinelake:{name}")),
            &options,
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
