/**
 * Writes the gallery's circuit files from `sources.ts`: parse each program, lay it out, save
 * it in the circuit file format. Run with `npm run examples` after changing a program.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exampleFileText } from './build';
import { EXAMPLE_SOURCES } from './sources';

for (const source of EXAMPLE_SOURCES) {
  const path = fileURLToPath(new URL(`./${source.id}.json`, import.meta.url));
  writeFileSync(path, exampleFileText(source));
  console.log(`wrote ${path}`);
}
