// The pure rules, configuration, schemas and small store tests, in one process:
// each of these files takes well under two seconds, and a test process of its own costs ~1.5 s of
// CPU to start (tap and tsx), which over the suite was more than these tests themselves. `tap` runs
// this file instead of them (package.json "tap.exclude"); each still runs alone,
// e.g. `npx tap test/unit/at-most-every.test.ts`.
import '../unit/at-most-every.test.js';
import '../unit/calendar.test.js';
import '../unit/core.test.js';
import '../unit/cve-reminders.test.js';
import '../unit/cvss4.test.js';
import '../unit/deadlines.test.js';
import '../unit/errata.test.js';
import '../unit/incident.test.js';
import '../unit/memory.test.js';
import '../unit/notice-window.test.js';
import '../unit/silent-fix.test.js';
import '../unit/slow-projects.test.js';
import '../config.test.js';
import '../config-passfile.test.js';
import '../architecture.test.js';
import '../schema-validators.test.js';
import '../store/advisories.test.js';
import '../store/blob-files.test.js';
import '../store/plan-reads.test.js';
import '../scheduler/digest.test.js';
import '../scheduler/security-txt.test.js';
