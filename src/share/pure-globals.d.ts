/**
 * The few runtime globals the engine and the codecs use that are neither in the ECMAScript
 * library nor DOM-only: present in every browser and in Node. Only `tsconfig.engine.json` reads
 * this file; it checks that src/engine and src/share need nothing else from the host.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
