#!/usr/bin/env node
// The k8s-bridge binary: a thin launcher for the compiled CLI (run `pnpm build` first).
import { main } from '../dist/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
