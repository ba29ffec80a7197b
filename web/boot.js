// Starts the dashboard. Trunk would inline these lines in index.html, but the page's
// Content-Security-Policy allows scripts from the site only, with no 'unsafe-inline' and no
// per-build hash; so Trunk.toml's `pattern_script` loads this file and names the hashed
// bindings and wasm in data attributes.
//
// The data starts downloading now, while the wasm compiles: `load::fetch` in the app picks each
// response up from `window.cinelakePrefetch` (a URL → response promise table, each taken once)
// when it asks for the same URL. Without `?data=` that is the site's `manifest.json` and, as
// soon as it has arrived, the extract it names: a published site's data then starts
// downloading before the wasm has started, not after.
//
// Start-up marks (performance.getEntriesByType('mark')): where the time before the app asks for
// its data goes — this script running, the bindings imported, the wasm compiled and started.
performance.mark('cinelake:boot');
const prefetched = Object.create(null);
window.cinelakePrefetch = prefetched;
const data = new URLSearchParams(location.search).get('data');
if (data) {
  prefetch(data);
} else {
  // The app gets the manifest only once the extract it names is in the table, so it never asks
  // for that extract before this script has.
  remember('manifest.json', fetch('manifest.json').then(async (answer) => {
    if (answer.ok) {
      const titles = await answer
        .clone()
        .json()
        .then(titlesUrl, () => undefined);
      if (titles) {
        prefetch(titles);
        performance.mark('cinelake:prefetch');
      }
    }
    return answer;
  }));
}

/** Puts `response` in the table for the app to take under `url`. */
function remember(url, response) {
  // A failure is reported by the app when it awaits the response, not as an unhandled rejection.
  response.catch(() => {});
  prefetched[url] = response;
}

/** Starts downloading `url`, its body read from the start (see `drained`). */
function prefetch(url) {
  // The body is read from the start into a stream of its own: a body nobody reads stops
  // downloading once the browser's buffer (a few hundred KB) is full, and the app starts
  // reading only once the wasm has started.
  remember(
    url,
    fetch(url).then((answer) =>
      answer.ok && answer.body
        ? new Response(drained(answer.body), { status: answer.status, statusText: answer.statusText, headers: answer.headers })
        : answer,
    ),
  );
}

/**
 * The `titles` dataset's URL in a site manifest (DESIGN.md's `{"version": 1, "datasets": [...]}`),
 * read the way the app's `load::manifest_url` reads it; anything else gives `undefined` and the
 * app, reading the same manifest, explains what is wrong with it.
 */
function titlesUrl(manifest) {
  if (manifest?.version !== 1 || !Array.isArray(manifest.datasets)) return undefined;
  const url = manifest.datasets.find((dataset) => dataset?.name === 'titles')?.url;
  return typeof url === 'string' ? url : undefined;
}

/** A stream that reads all of `body` as fast as it arrives and queues it for its reader. */
function drained(body) {
  const reader = body.getReader();
  let cancelled = false;
  return new ReadableStream({
    start(controller) {
      const pump = () =>
        reader.read().then(
          ({ done, value }) => {
            if (cancelled) return undefined;
            if (done) return controller.close();
            controller.enqueue(value);
            return pump();
          },
          (error) => cancelled || controller.error(error),
        );
      pump();
    },
    // The app stops reading a file that is not an extract: so does the download.
    cancel(reason) {
      cancelled = true;
      return reader.cancel(reason);
    },
  });
}

const tag = document.querySelector('script[data-js][data-wasm]');
const { default: init } = await import(tag.dataset.js);
performance.mark('cinelake:bindings');
await init({ module_or_path: tag.dataset.wasm });
performance.mark('cinelake:started');
