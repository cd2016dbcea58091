/**
 * Link lengths: every gallery example, and generated circuits of 50, 100 and 200 gates laid
 * out as the app lays them out. `npm run bench:links`.
 */
import { parse } from '../src/engine/parse';
import { GALLERY } from '../src/examples';
import { encodeExprLink, encodeFullLink } from '../src/share/link';
import { docFromCircuit, docToCircuit } from '../src/store/document';
import { layoutCircuit } from '../src/store/layout';
import { mulberry32 } from './prng';

function generated(gates: number, seed: number): string {
  const rand = mulberry32(seed);
  const inputs = Math.max(2, Math.round(gates / 10));
  const lines: string[] = [];
  for (let i = 0; i < inputs; i++) lines.push(`x${i} = ${Math.round((rand() * 4 - 2) * 10) / 10}`);
  const names = Array.from({ length: inputs }, (_, i) => `x${i}`);
  const ops = ['+', '*', '-'];
  const fns = ['sigmoid', 'tanh', 'relu', 'exp'];
  for (let g = 0; g < gates; g++) {
    const pick = () =>
      names[Math.max(0, names.length - 1 - Math.floor(rand() * Math.min(8, names.length)))];
    const expr =
      rand() < 0.3
        ? `${fns[Math.floor(rand() * fns.length)]}(${pick()})`
        : `${pick()} ${ops[Math.floor(rand() * ops.length)]} ${pick()}`;
    const name = g === gates - 1 ? 'f' : `g${g}`;
    lines.push(`${name} = ${expr}`);
    names.push(name);
  }
  return lines.join('\n');
}

function fullLength(program: string) {
  const doc0 = docFromCircuit(parse(program).circuit, program);
  const doc = { ...doc0, positions: layoutCircuit(doc0.nodes, doc0.wires, doc0.values) };
  const full = encodeFullLink({ circuit: docToCircuit(doc), view: {}, expression: program });
  const bare = encodeFullLink({ circuit: docToCircuit(doc), view: {}, expression: null });
  return {
    full: full.length,
    bare: bare.length,
    expr: encodeExprLink(program).length,
    nodes: doc.nodes.length,
  };
}

console.log('| circuit | nodes | #c= link | #c= link carrying the program text | #expr= link |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const example of GALLERY) {
  const r = fullLength(example.program);
  console.log(`| ${example.title} | ${r.nodes} | ${r.bare} | ${r.full} | ${r.expr} |`);
}
for (const gates of [50, 100, 200]) {
  const r = fullLength(generated(gates, gates));
  console.log(`| generated, ${gates} gates | ${r.nodes} | ${r.bare} | ${r.full} | ${r.expr} |`);
}
