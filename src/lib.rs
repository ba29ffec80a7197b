//! The cinelake dashboard: a Leptos CSR app compiled to wasm32 by Trunk.
//!
//! It loads the refined extract through presigned URLs (or `?data=`), and computes and draws
//! everything client-side; the maths lives in `cinelake-core`. `main.rs` only mounts [`App`].

use leptos::prelude::*;

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main class="app">
            <header class="app-header">
                <h1>"cinelake"</h1>
                <p class="tagline">"Comedy & Animation on IMDb: ratings, releases and a rating model"</p>
            </header>
        </main>
    }
}
