#!/usr/bin/env node
// Evaluates identities with flagsmith-nodejs against a Banderole server, twice:
// remotely (POST /identities/) and with local evaluation (the environment
// document), and prints both as JSON on stdout.
//
// Usage: node evaluate.js <identities.json> [api_url] [server_key]
//   api_url and server_key may instead come from FLAGSMITH_API_URL and
//   FLAGSMITH_SERVER_KEY. The input file is
//   {"identities": [{"identifier": "u1", "traits": {"plan": "pro"}}, ...]}.
// Output:
//   {"sdk": "flagsmith-nodejs", "version": "8.1.2",
//    "environment": {"remote": {<feature>: {"enabled", "value"}}, "local": {...}},
//    "identities": [{"identifier", "remote": {...}, "local": {...}}]}
// Any error the SDK logs (it swallows failed requests and returns no flags)
// makes the script exit 1 with the errors on stderr.
'use strict';

const fs = require('fs');
const path = require('path');
const { Flagsmith } = require('flagsmith-nodejs');

const errors = [];

// The SDK logs with pino to stdout by default, which would corrupt the JSON;
// this logger keeps stdout for the results and remembers every error.
const logger = {
    error: (...args) => {
        errors.push(args.map(describe).join(' '));
    },
    warn: (...args) => {
        process.stderr.write(`warn: ${args.map(describe).join(' ')}\n`);
    },
    info: () => {},
    debug: () => {},
    trace: () => {},
    child() {
        return logger;
    }
};

function describe(value) {
    if (value instanceof Error) {
        const cause = value.cause ? ` (cause: ${describe(value.cause)})` : '';
        return `${value.message}${cause}`;
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
}

function asPlain(flags) {
    const plain = {};
    for (const flag of flags.allFlags()) {
        // The SDK reads `feature_state_value ?? value`: a null value arrives as undefined.
        plain[flag.featureName] = { enabled: flag.enabled, value: flag.value === undefined ? null : flag.value };
    }
    return plain;
}

function sdkVersion() {
    // The package's "exports" hide package.json from require(); read it from disk.
    const manifest = path.join(__dirname, 'node_modules', 'flagsmith-nodejs', 'package.json');
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
}

async function main() {
    const [inputPath, argUrl, argKey] = process.argv.slice(2);
    const apiUrl = argUrl || process.env.FLAGSMITH_API_URL;
    const serverKey = argKey || process.env.FLAGSMITH_SERVER_KEY;
    if (!inputPath || !apiUrl || !serverKey) {
        process.stderr.write('usage: node evaluate.js <identities.json> [api_url] [server_key]\n');
        process.exit(2);
    }
    const { identities } = JSON.parse(fs.readFileSync(path.resolve(inputPath), 'utf8'));
    const common = { environmentKey: serverKey, apiUrl, enableAnalytics: false, logger, retries: 0 };
    const remote = new Flagsmith(common);
    // The document is fetched once; the refresh interval outlives the run.
    const local = new Flagsmith({ ...common, enableLocalEvaluation: true, environmentRefreshIntervalSeconds: 3600 });
    try {
        await local.updateEnvironment();
        const output = {
            sdk: 'flagsmith-nodejs',
            version: sdkVersion(),
            environment: {
                remote: asPlain(await remote.getEnvironmentFlags()),
                local: asPlain(await local.getEnvironmentFlags())
            },
            identities: []
        };
        for (const { identifier, traits } of identities) {
            output.identities.push({
                identifier,
                remote: asPlain(await remote.getIdentityFlags(identifier, traits)),
                local: asPlain(await local.getIdentityFlags(identifier, traits))
            });
        }
        if (errors.length) {
            process.stderr.write(`flagsmith-nodejs logged errors:\n${errors.join('\n')}\n`);
            process.exit(1);
        }
        process.stdout.write(JSON.stringify(output));
    } finally {
        await remote.close();
        await local.close();
    }
}

main().catch(error => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
});
