// RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30-second steps) with Node's own
// `crypto`, written independently of the server's Rust implementation so the
// browser tests check the server against a second reading of the RFC.
import crypto from 'node:crypto';

export const STEP_SECONDS = 30;

/** Decodes RFC 4648 base32 (case-insensitive, padding and spaces ignored). */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`base32: unexpected character ${JSON.stringify(ch)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The HOTP value (RFC 4226) of `key` at `counter`, as a zero-padded string. */
export function hotp(key, counter, digits = 6) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

/** The TOTP code of a base32 secret at a time step. */
export function totpAtStep(secretBase32, step) {
  return hotp(base32Decode(secretBase32), step);
}

/** The current time step. */
export function currentStep(nowMs = Date.now()) {
  return Math.floor(nowMs / 1000 / STEP_SECONDS);
}

/**
 * Codes for one account, never handing out the same time step twice: the
 * server refuses a step it has already accepted (replay protection), so a
 * second login in the same 30 s uses the next step, which the server accepts
 * as one step of clock skew, and a third waits for the clock.
 */
export class TotpClock {
  constructor(secretBase32) {
    this.secret = secretBase32;
    this.lastStep = -1;
  }

  async nextCode() {
    for (;;) {
      const now = currentStep();
      const step = Math.max(now, this.lastStep + 1);
      if (step <= now + 1) {
        this.lastStep = step;
        return totpAtStep(this.secret, step);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
