//! Browser tests of the dashboard's components, run by wasm-bindgen-test in headless Chromium:
//! `cargo test --target wasm32-unknown-unknown -p cinelake-dashboard --test web`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|window| window.document())
        .expect("a browser test runs in a page with a document")
}

#[wasm_bindgen_test]
fn app_renders_its_header() {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let host: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(host);
    let handle = leptos::mount::mount_to(host.clone(), cinelake_dashboard::App);
    let heading = host.query_selector("h1").unwrap().expect("the app has a heading");
    assert_eq!(heading.text_content().as_deref(), Some("cinelake"));
    drop(handle);
}
