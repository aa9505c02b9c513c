// The advisory formats, armor and MIME decoding, and the client corpus, in one process:
// each of these files takes well under two seconds, and a test process of its own costs ~1.5 s of
// CPU to start (tap and tsx), which over the suite was more than these tests themselves. `tap` runs
// this file instead of them (package.json "tap.exclude"); each still runs alone,
// e.g. `npx tap test/advisories/csaf.test.ts`.
import '../advisories/csaf.test.js';
import '../advisories/html.test.js';
import '../advisories/parse.test.js';
import '../advisories/render-text.test.js';
import '../advisories/schemas.test.js';
import '../advisories/site.test.js';
import '../advisories/wkd-locate.test.js';
import '../advisories/cvss4-records.test.js';
import '../intake/dearmor.test.js';
import '../intake/content.test.js';
import '../intake/clients-rules.test.js';
import '../relay/armor.test.js';
import '../relay/crc24.test.js';
import '../interop.test.js';
