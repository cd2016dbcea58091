/**
 * The gallery as programs in the expression language. `npm run examples` turns these into
 * the circuit files next to this one (with a tidy layout); the app loads the files.
 */
export interface ExampleSource {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly program: string;
}

export const EXAMPLE_SOURCES: readonly ExampleSource[] = [
  {
    id: 'add-multiply',
    title: '(x + y) · z',
    description:
      'The first circuit of every backprop course. The add gate hands its gradient to both inputs unchanged; the multiply gate swaps its inputs.',
    program: 'x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z',
  },
  {
    id: 'neuron',
    title: '2-D neuron, one sigmoid gate',
    description:
      'A neuron f = σ(w0·x0 + w1·x1 + w2). The sigmoid gate computes its local gradient (1 − σ)·σ from its own output.',
    program:
      'w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\ndot = w0 * x0 + w1 * x1 + w2\nf = sigmoid(dot)',
  },
  {
    id: 'neuron-primitive',
    title: '2-D neuron, primitive gates',
    description:
      'The same neuron with the sigmoid spelled out as ×−1, exp, +1 and 1/x. Every gradient matches the one-gate version.',
    program:
      'w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\ndot = w0 * x0 + w1 * x1 + w2\nf = 1 / (1 + exp(dot * -1))',
  },
  {
    id: 'patterns',
    title: 'Patterns: add, max, multiply',
    description:
      'f = 2·(x·y + max(z, w)). Add distributes the gradient, max routes it to the larger input, multiply swaps.',
    program: 'x = 3\ny = -4\nz = 2\nw = -1\nf = 2 * (x * y + max(z, w))',
  },
  {
    id: 'staged',
    title: 'Staged: named intermediate steps',
    description:
      'f = (x + σ(y)) / (σ(x) + (x + y)²), computed in named stages. x and y each feed several gates, so their gradients add up.',
    program: [
      'x = 3',
      'y = 4',
      'sigy = sigmoid(y)',
      'num = x + sigy',
      'sigx = sigmoid(x)',
      'xpy = x + y',
      'xpysqr = xpy^2',
      'den = sigx + xpysqr',
      'invden = 1 / den',
      'f = num * invden',
    ].join('\n'),
  },
  {
    id: 'matmul',
    title: 'D = W · X (matrices)',
    description:
      'A matrix product. The gradient of each matrix has its shape: dW = dD·Xᵀ and dX = Wᵀ·dD.',
    program: 'W = [[1, 2, 0], [-1, 0.5, 3]]\nX = [[2, -1], [0, 1], [1, 1]]\nD = W @ X\nf = sum(D)',
  },
];
