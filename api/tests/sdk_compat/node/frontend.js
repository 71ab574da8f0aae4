// Evaluates identities with unleash-proxy-client, the Unleash browser SDK, against a
// Banderole server's Frontend API (/api/frontend). Shared by proxy_client.js (Node) and
// pages/unleash.html (Chromium), so both run exactly the same calls.
//
// evaluateIdentities(unleash, options, identities):
//   unleash: the unleash-proxy-client module ({UnleashClient, InMemoryStorageProvider});
//   options: {url, clientKey, usePOSTrequests, features: [names]};
//   identities: [{identifier, properties: {name: text}}].
// Resolves to {identities: [{identifier, flags: {name: {enabled, variant, payload}}}],
//              responses: [{method, path, status}], errors: [text]}.
(function (root, factory) {
    if (typeof module === 'object' && module.exports) {
        module.exports = factory();
    } else {
        root.evaluateIdentities = factory();
    }
})(typeof self !== 'undefined' ? self : this, function () {
    'use strict';

    return async function evaluateIdentities(unleash, options, identities) {
        const responses = [];
        const errors = [];
        const recordingFetch = async (url, init) => {
            const response = await fetch(url, init);
            responses.push({ method: (init && init.method) || 'GET', path: new URL(url).pathname, status: response.status });
            return response;
        };
        const client = new unleash.UnleashClient({
            url: options.url,
            clientKey: options.clientKey,
            appName: 'banderole-sdk-compat',
            usePOSTrequests: Boolean(options.usePOSTrequests),
            disableRefresh: true,
            metricsIntervalInitial: 0,
            storageProvider: new unleash.InMemoryStorageProvider(),
            fetch: recordingFetch,
        });
        client.on('error', (error) => errors.push(JSON.stringify(error, Object.getOwnPropertyNames(error || {}))));
        await client.start();
        const results = [];
        for (const { identifier, properties } of identities) {
            await client.updateContext({ userId: identifier, properties });
            const flags = {};
            for (const name of options.features) {
                const variant = client.getVariant(name);
                flags[name] = {
                    enabled: client.isEnabled(name),
                    variant: variant.name,
                    payload: variant.enabled && variant.payload ? variant.payload.value : null,
                };
            }
            results.push({ identifier, flags });
        }
        // The same context once more: the SDK revalidates with the ETag it holds.
        const last = identities[identities.length - 1];
        await client.updateContext({ userId: last.identifier, properties: last.properties });
        // And its counts of every isEnabled/getVariant above, to /api/frontend/client/metrics.
        await client.metrics.sendMetrics();
        client.stop();
        return { identities: results, responses, errors };
    };
});
