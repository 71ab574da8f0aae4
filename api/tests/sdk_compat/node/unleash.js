#!/usr/bin/env node
// Evaluates identities with the Unleash Node SDK (unleash-client) against a
// Banderole server's /api/client/ and prints the results as JSON on stdout.
//
// Usage: node unleash.js <identities.json> <unleash_api_url> <server_key>
//   unleash_api_url is <banderole>/api, as an Unleash SDK is configured.
//   The input file is {"features": ["name", ...],
//   "identities": [{"identifier": "u1", "properties": {"plan": "pro"}}, ...]}
//   with properties already stringified.
// Output:
//   {"sdk": "unleash-client", "version": "6.12.1", "features": [<names the SDK fetched>],
//    "identities": [{"identifier", "flags": {<feature>: {"enabled", "variant", "payload"}}}]}
// An SDK error or warning event makes the script exit 1 with it on stderr.
'use strict';

const fs = require('fs');
const path = require('path');
const { Unleash, InMemStorageProvider } = require('unleash-client');

function sdkVersion() {
    const manifest = path.join(__dirname, 'node_modules', 'unleash-client', 'package.json');
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
}

function synchronised(unleash) {
    return new Promise((resolve, reject) => {
        unleash.once('synchronized', resolve);
        unleash.once('error', reject);
        setTimeout(() => reject(new Error('no features within 30 s')), 30000).unref();
    });
}

async function main() {
    const [inputPath, url, serverKey] = process.argv.slice(2);
    if (!inputPath || !url || !serverKey) {
        process.stderr.write('usage: node unleash.js <identities.json> <unleash_api_url> <server_key>\n');
        process.exit(2);
    }
    const { features, identities } = JSON.parse(fs.readFileSync(path.resolve(inputPath), 'utf8'));
    const warnings = [];
    const unleash = new Unleash({
        url,
        appName: 'banderole-sdk-compat-node',
        customHeaders: { Authorization: serverKey },
        refreshInterval: 60000,
        metricsInterval: 0,
        disableMetrics: true,
        storageProvider: new InMemStorageProvider()
    });
    unleash.on('warn', message => warnings.push(String(message)));
    try {
        await synchronised(unleash);
        const output = {
            sdk: 'unleash-client',
            version: sdkVersion(),
            features: unleash.getFeatureToggleDefinitions().map(toggle => toggle.name),
            identities: []
        };
        for (const { identifier, properties } of identities) {
            const context = { userId: identifier, properties };
            const flags = {};
            for (const name of features) {
                const variant = unleash.getVariant(name, context);
                flags[name] = {
                    enabled: unleash.isEnabled(name, context),
                    variant: variant.name,
                    payload: variant.enabled && variant.payload ? variant.payload.value : null
                };
            }
            output.identities.push({ identifier, flags });
        }
        if (warnings.length) {
            process.stderr.write(`unleash-client warned:\n${warnings.join('\n')}\n`);
            process.exit(1);
        }
        process.stdout.write(JSON.stringify(output));
    } finally {
        unleash.destroy();
    }
}

main().catch(error => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
});
