// The small test harness of the browser suite: named checks that print one
// PASS/FAIL line each, readable assertion messages, and the closing count
// line that CI reads ("browser: N passed, M failed").
import fs from 'node:fs';

export class Harness {
  constructor({ only = null } = {}) {
    this.passed = 0;
    this.failed = [];
    this.only = only;
  }

  /**
   * Runs one named check; a thrown error fails it with its message. A body
   * may return a short note (what it measured), shown on the PASS line.
   * With `--only`, checks whose names match none of the words are skipped,
   * except those marked `always` (the setup the others depend on).
   */
  async check(name, body, { always = false } = {}) {
    if (!always && this.only && !this.only.some((word) => name.includes(word))) return;
    const started = Date.now();
    try {
      const note = await body();
      this.passed += 1;
      console.log(`PASS ${name} (${typeof note === 'string' ? `${note}; ` : ''}${Date.now() - started} ms)`);
    } catch (error) {
      this.failed.push(name);
      console.log(`FAIL ${name} (${Date.now() - started} ms)`);
      const message = error && error.message ? error.message : String(error);
      for (const line of message.split('\n').slice(0, 40)) console.log(`     ${line}`);
    }
  }

  /**
   * Lists the failed checks and returns the process exit code. The count
   * line goes to stdout, or as "N M" to `summaryFile` when the caller adds
   * checks of its own and prints the closing line itself.
   */
  finish(summaryFile = null) {
    if (this.failed.length) {
      console.log('\nFailed checks:');
      for (const name of this.failed) console.log(`  - ${name}`);
    }
    if (summaryFile) fs.writeFileSync(summaryFile, `${this.passed} ${this.failed.length}\n`);
    else console.log(`\nbrowser: ${this.passed} passed, ${this.failed.length} failed`);
    return this.failed.length ? 1 : 0;
  }
}

/** Throws `message` unless `condition` holds. */
export function ensure(condition, message) {
  if (!condition) throw new Error(message);
}

/** Throws unless `actual === expected`, saying what was seen. */
export function ensureEqual(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Throws unless `text` contains `needle`, quoting the start of the text. */
export function ensureContains(text, needle, what) {
  if (!String(text).includes(needle)) {
    const shown = String(text).replace(/\s+/g, ' ').trim().slice(0, 300);
    throw new Error(`${what}: expected to contain ${JSON.stringify(needle)}, got ${JSON.stringify(shown)}`);
  }
}
