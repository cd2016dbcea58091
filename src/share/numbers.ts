/**
 * Numbers as the file format and links store them. JSON has no NaN or infinities, so those
 * three travel as strings; every finite number (including -0 and subnormals) stays a number.
 */

/** A number as written in a file: finite numbers as themselves, the rest by name. */
export type FileNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** Turns a number into its file form: non-finite values become their names. */
export function encodeNumber(x: number): FileNumber {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

/**
 * Reads one number in file form. Accepts any JS number and exactly the three names above;
 * anything else (other strings, booleans, null, arrays) gives `undefined`.
 */
export function decodeNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  switch (raw) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}
