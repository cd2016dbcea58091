/**
 * base64url (RFC 4648 §5) on byte arrays, without padding: `A–Z a–z 0–9 - _`. Hand-written
 * (rather than `btoa`/`atob`, which work on "binary strings") so it runs the same in Node and
 * in browsers and never throws.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Character code → 6-bit value, or -1 for a character outside the alphabet. */
const VALUE_OF: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Encodes bytes as base64url text without `=` padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  const full = bytes.length - (bytes.length % 3);
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    chunk +=
      ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + ALPHABET[n & 63];
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  const rest = bytes.length - full;
  if (rest === 1) {
    const n = bytes[full] << 16;
    chunk += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[full] << 16) | (bytes[full + 1] << 8);
    chunk += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63];
  }
  parts.push(chunk);
  return parts.join('');
}

/**
 * Decodes base64url text (one or two trailing `=` are tolerated). Returns the bytes, or a
 * message naming the first character that is not base64url, or saying the length is impossible
 * (4n + 1 characters: no byte count encodes to that).
 * Spare bits in the last character are ignored.
 */
export function decodeBase64Url(text: string): Uint8Array | string {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let bitCount = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? VALUE_OF[code] : -1;
    if (value < 0) {
      return `its data holds ${describeChar(text, i)} at position ${i + 1}, which base64url does not use`;
    }
    bits = ((bits << 6) | value) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[o++] = (bits >>> bitCount) & 0xff;
    }
  }
  if (end % 4 === 1)
    return `its data has an impossible length (${end} characters; was it cut short?)`;
  return out;
}

function describeChar(text: string, i: number): string {
  const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
  if (ch === ' ') return 'a space (a "+" that became a space?)';
  if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(ch)) return `the character "${ch}"`;
  const hex = (text.codePointAt(i) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `the character U+${hex}`;
}
