#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm ci` through the `prepare` script).
import '../dist/src/threadpool.js';
import { main } from '../dist/src/cli/main.js';

// Everything vmtd writes (database, WAL, keys, maildir) is private to its user.
process.umask(0o077);
process.exitCode = await main(process.argv.slice(2));
