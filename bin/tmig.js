#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so the checkout needs no build step.
require('tsx/cjs');
require('../src/cli/main.ts').main(process.argv).then(() => process.exit(process.exitCode ?? 0));
