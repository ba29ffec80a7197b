//! Mounts the dashboard; everything else lives in the library so browser tests can reach it.

fn main() {
    // Start-up mark: the wasm is compiled and instantiated (`web/boot.js` marks the rest).
    cinelake_dashboard::perf::mark("main");
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(cinelake_dashboard::App);
}
