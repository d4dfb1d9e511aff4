// The app's service worker (VERSION, APP and ASSETS are written above by the server).
// The shell and the static files are cached at install, so that the app opens without network;
// the API is never cached here: the app keeps its data in IndexedDB.

const CACHE = `fi-mobile-${VERSION}`;

self.addEventListener("install", (event) => {
    event.waitUntil(
        caches
            .open(CACHE)
            .then((cache) => cache.addAll([APP, ...ASSETS]))
            .then(() => self.skipWaiting())
    );
});

self.addEventListener("activate", (event) => {
    event.waitUntil(
        caches
            .keys()
            .then((keys) => Promise.all(keys.filter((key) => key.startsWith("fi-mobile-") && key !== CACHE).map((key) => caches.delete(key))))
            .then(() => self.clients.claim())
    );
});

function isShell(url) {
    return url.pathname === APP || url.pathname === `${APP}/`;
}

/** The shell from the network when it answers quickly (fresh labels, session checked), else the
 * cached one: a phone in a basement often has a network that never answers. */
async function shell(request) {
    const cache = await caches.open(CACHE);
    const network = fetch(request, { cache: "no-store" }).then(async (response) => {
        if (response.ok && response.type !== "opaqueredirect") {
            await cache.put(APP, response.clone());
        }
        return response;
    });
    const cached = await cache.match(APP);
    if (!cached) {
        return network;
    }
    const late = new Promise((resolve) => setTimeout(() => resolve(null), 1500));
    try {
        const response = await Promise.race([network, late]);
        if (response && (response.ok || response.type === "opaqueredirect")) {
            return response;  // fresh, or the login page when the session has expired
        }
    } catch {
        // no network: the cached shell below
    }
    return cached;
}

self.addEventListener("fetch", (event) => {
    const url = new URL(event.request.url);
    if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith(`${APP}/api/`)) {
        return;  // the API and anything else: straight to the network
    }
    if (event.request.mode === "navigate" && isShell(url)) {
        event.respondWith(shell(event.request));
    } else if (ASSETS.includes(url.pathname)) {
        event.respondWith(caches.match(url.pathname).then((cached) => cached || fetch(event.request)));
    }
});
