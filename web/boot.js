// Starts the dashboard. Trunk would inline these lines in index.html, but the page's
// Content-Security-Policy allows scripts from the site only, with no 'unsafe-inline' and no
// per-build hash; so Trunk.toml's `pattern_script` loads this file and names the hashed
// bindings and wasm in data attributes.
//
// The data starts downloading now, while the wasm compiles: `load::fetch` in the app picks the
// response up from `window.cinelakePrefetch` when it asks for the same URL.
//
// Start-up marks (performance.getEntriesByType('mark')): where the time before the app asks for
// its data goes — this script running, the bindings imported, the wasm compiled and started.
performance.mark('cinelake:boot');
const data = new URLSearchParams(location.search).get('data');
const url = data || 'manifest.json';
const response = fetch(url);
// A failure is reported by the app when it awaits the response, not as an unhandled rejection.
response.catch(() => {});
window.cinelakePrefetch = { url, response };

const tag = document.querySelector('script[data-js][data-wasm]');
const { default: init } = await import(tag.dataset.js);
performance.mark('cinelake:bindings');
await init({ module_or_path: tag.dataset.wasm });
performance.mark('cinelake:started');
