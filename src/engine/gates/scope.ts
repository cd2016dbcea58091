/**
 * The ops a circuit can use: the registry's, then its own gates (`circuit.gates`), each made
 * into an op once per list of definitions.
 */
import { getOp, type OpDef } from '../ops';
import { RESERVED_NAMES } from '../syntax';
import type { Circuit, GateDef } from '../types';
import { type CompositeOp, compositeOp, type OpLookup } from './composite';

const scopes = new WeakMap<readonly GateDef[], ReadonlyMap<string, CompositeOp>>();

/**
 * The op of each definition, by name. Definition k sees the registry and definitions 0…k−1
 * only, so none can reach itself. A definition whose name is taken (by an op of the registry
 * or an earlier definition) is left out: `libraryProblems` says so.
 */
export function gateOps(gates: readonly GateDef[] | undefined): ReadonlyMap<string, CompositeOp> {
  if (gates === undefined || gates.length === 0) return EMPTY;
  const known = scopes.get(gates);
  if (known) return known;
  const ops = new Map<string, CompositeOp>();
  for (const def of gates) {
    if (nameTaken(def.name) || ops.has(def.name)) continue;
    const before = new Map(ops);
    ops.set(
      def.name,
      compositeOp(def, (name) => getOp(name) ?? before.get(name)),
    );
  }
  scopes.set(gates, ops);
  return ops;
}

const EMPTY: ReadonlyMap<string, CompositeOp> = new Map();

/** The lookup compile uses for a circuit with these gates. */
export function lookupIn(gates: readonly GateDef[] | undefined): OpLookup {
  if (gates === undefined || gates.length === 0) return getOp;
  const ops = gateOps(gates);
  return (name) => getOp(name) ?? ops.get(name);
}

/** The op a node of this circuit names: the registry's, or one of the circuit's own gates. */
export function resolveOp(name: string, gates: readonly GateDef[] | undefined): OpDef | undefined {
  return getOp(name) ?? gateOps(gates).get(name);
}

/** A name of the registry or of the language (`sigmoid`, `input`, `randn`). */
export function nameTaken(name: string): boolean {
  return getOp(name) !== undefined || RESERVED_NAMES.has(name);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot name a new gate beside `gates`, or undefined when it can. */
export function gateNameProblem(name: string, gates: readonly GateDef[] = []): string | undefined {
  if (!IDENTIFIER.test(name)) {
    return `a gate's name is a letter or _ followed by letters, digits or _ (such as softplus), not '${name}'`;
  }
  if (nameTaken(name))
    return `${name} is already a gate of the app: choose another name, such as my_${name}`;
  if (gates.some((g) => g.name === name)) return `there is already a gate called ${name}`;
  return undefined;
}

/**
 * What is wrong with a list of definitions as a file or a link brings it: names, ports, and
 * insides whose inputs are not exactly the ports or that use a gate not defined before them.
 * One message per problem, naming the gate.
 */
export function libraryProblems(gates: readonly GateDef[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const def of gates) {
    const name = def.name;
    if (!IDENTIFIER.test(name)) {
      problems.push(`a gate's name must be an identifier, not '${name}'`);
      continue;
    }
    if (nameTaken(name)) problems.push(`the gate ${name} has the name of an op of the app`);
    if (seen.has(name)) problems.push(`two gates are called ${name}`);
    const ports = new Set<string>();
    for (const port of def.ports) {
      if (!IDENTIFIER.test(port)) problems.push(`${name}: port '${port}' is not an identifier`);
      if (ports.has(port)) problems.push(`${name}: two ports are called ${port}`);
      ports.add(port);
    }
    problems.push(...insideProblems(def.body, name, ports, seen));
    def.derivatives?.forEach((d, p) => {
      if (d)
        problems.push(...insideProblems(d.body, `${name}'s d/d${def.ports[p]}`, ports, seen, name));
    });
    seen.add(name);
  }
  return problems;
}

function insideProblems(
  body: Circuit,
  where: string,
  ports: ReadonlySet<string>,
  before: ReadonlySet<string>,
  self?: string,
): string[] {
  const problems: string[] = [];
  const inputs = new Set<string>();
  for (const node of body.nodes) {
    if (node.op === 'input') {
      if (!ports.has(node.id)) {
        problems.push(`${where}: '${node.id}' is not one of its ports (${[...ports].join(', ')})`);
      }
      inputs.add(node.id);
    } else if (getOp(node.op) === undefined && !before.has(node.op) && node.op !== self) {
      problems.push(
        node.op === where
          ? `${where} uses itself: a gate cannot be made of itself`
          : `${where} uses '${node.op}', which is not a gate defined before it`,
      );
    }
  }
  if (body.output === null || inputs.has(body.output)) {
    problems.push(`${where} computes nothing from its ports: its inside has no gate as output`);
  }
  return problems;
}
