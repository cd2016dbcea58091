/**
 * Names that are members of `Object.prototype`: as ids, labels, keys or flags they must work
 * like any other name (or be refused), and never reach the prototype. No test runner is
 * imported here, so the unit tests and the end-to-end tests share this one list.
 */
export const HOSTILE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
] as const;
