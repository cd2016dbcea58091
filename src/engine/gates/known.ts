/**
 * Functions the app recognises inside a composite gate, whatever gates compute them: a
 * grouped `×−1, exp, +1, 1/x` is a sigmoid. Recognising one gives the gate its closed-form
 * local gradient, written in terms of its own output where the notes do (`(1 − σ)·σ`).
 */
export interface KnownFunction {
  /** The usual name: `sigmoid`. */
  readonly name: string;
  /** How a user reads it: "the sigmoid σ(x) = 1 / (1 + e^−x)". */
  readonly description: string;
  /** A name to suggest for a gate computing it (not an op of the registry). */
  readonly suggestedName: string;
  readonly f: (x: number) => number;
  /** The local gradient in TeX, in terms of x and the gate's output. */
  readonly localTex: string;
  /** The local gradient with the numbers in, as a line of text: `(1 − 0.7311)·0.7311`. */
  readonly localText: (x: string, y: string) => string;
  /** The same, as TeX with numbers in. */
  readonly localTexAt: (x: string, y: string) => string;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const KNOWN_FUNCTIONS: readonly KnownFunction[] = [
  {
    name: 'sigmoid',
    description: 'the sigmoid σ(x) = 1 / (1 + e^−x)',
    suggestedName: 'sigma',
    f: sigmoid,
    localTex: '(1 - \\sigma)\\,\\sigma',
    localText: (_x, y) => `(1 − ${y})·${y}`,
    localTexAt: (_x, y) => `(1 - ${y})\\cdot ${y}`,
  },
  {
    name: 'tanh',
    description: 'tanh(x) = (e^x − e^−x) / (e^x + e^−x)',
    suggestedName: 'tanh_gate',
    f: Math.tanh,
    localTex: '1 - \\tanh^2',
    localText: (_x, y) => `1 − ${y}²`,
    localTexAt: (_x, y) => `1 - ${y}^2`,
  },
  {
    name: 'softplus',
    description: 'the softplus log(1 + e^x)',
    suggestedName: 'softplus',
    f: (x) => Math.log1p(Math.exp(x)),
    localTex: '\\sigma(x)',
    localText: (x) => `σ(${x})`,
    localTexAt: (x) => `\\sigma(${x})`,
  },
];

/** Where a one-input function is compared with the known ones. */
const PROBES = [-2.7, -1.3, -0.45, 0.2, 0.85, 1.6, 2.9];

/**
 * The known function `f` computes, judged at a few points (relative error below 1e-9 at
 * each), or undefined.
 */
export function recognise(f: (x: number) => number): KnownFunction | undefined {
  const ys = PROBES.map(f);
  if (!ys.every(Number.isFinite)) return undefined;
  return KNOWN_FUNCTIONS.find((known) =>
    PROBES.every((x, i) => {
      const want = known.f(x);
      return Math.abs(ys[i] - want) <= 1e-9 * Math.max(1, Math.abs(want));
    }),
  );
}
