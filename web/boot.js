// Starts the dashboard. Trunk would inline these lines in index.html, but the page's
// Content-Security-Policy allows scripts from the site only, with no 'unsafe-inline' and no
// per-build hash; so Trunk.toml's `pattern_script` loads this file and names the hashed
// bindings and wasm in data attributes.
const tag = document.querySelector('script[data-js][data-wasm]');
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
