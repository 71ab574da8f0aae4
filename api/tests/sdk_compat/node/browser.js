#!/usr/bin/env node
// Drives Chromium (playwright-core, the system browser) through a test page of this
// directory, served on 127.0.0.1 by the pytest side, and prints what the page's run()
// resolves to as JSON on stdout.
//
// Usage: node browser.js <page_url> <input.json>
//   The page must define window.run(input) -> Promise<JSON-serialisable>.
//   Lines on stdin are passed to the page as window.onInput(line) (the OFREP polling test
//   says when it changed a flag); the page's console.log lines starting with "STEP " are
//   copied to stdout as they come, so the test can wait for them.
// Environment: CHROMIUM_PATH (default /usr/bin/chromium).
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

async function main() {
    const [pageUrl, inputPath] = process.argv.slice(2);
    const input = JSON.parse(fs.readFileSync(path.resolve(inputPath), 'utf8'));
    const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
        // Root in containers and CI cannot use Chromium's sandbox.
        args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
        const page = await browser.newPage();
        const problems = [];
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
        page.on('console', (message) => {
            const text = message.text();
            if (text.startsWith('STEP ')) {
                process.stdout.write(`${text}\n`);
            } else if (message.type() === 'error') {
                problems.push(`console error: ${text}`);
            }
        });
        readline.createInterface({ input: process.stdin }).on('line', (line) => {
            page.evaluate((text) => window.onInput && window.onInput(text), line).catch(() => {});
        });
        await page.goto(pageUrl);
        await page.waitForFunction(() => typeof window.run === 'function');
        const result = await page.evaluate((data) => window.run(data), input);
        const version = browser.version();
        process.stdout.write(`RESULT ${JSON.stringify({ browser: `chromium ${version}`, problems, ...result })}\n`);
    } finally {
        await browser.close();
    }
}

main().catch((error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
});
