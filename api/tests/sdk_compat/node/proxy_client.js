#!/usr/bin/env node
// unleash-proxy-client in Node against Banderole's Frontend API; prints JSON on stdout.
//
// Usage: node proxy_client.js <input.json>
//   input: {"url": "<banderole>/api/frontend", "clientKey": "...", "usePOSTrequests": false,
//           "features": [...], "identities": [{"identifier", "properties"}]}
// Output: {"sdk": "unleash-proxy-client", "version", ...what frontend.js resolves to}
'use strict';

const fs = require('fs');
const path = require('path');
const unleash = require('unleash-proxy-client');
const evaluateIdentities = require('./frontend.js');

function sdkVersion() {
    const manifest = path.join(__dirname, 'node_modules', 'unleash-proxy-client', 'package.json');
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
}

async function main() {
    const input = JSON.parse(fs.readFileSync(path.resolve(process.argv[2]), 'utf8'));
    const result = await evaluateIdentities(unleash, input, input.identities);
    process.stdout.write(JSON.stringify({ sdk: 'unleash-proxy-client', version: sdkVersion(), ...result }));
}

main().catch((error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
});
