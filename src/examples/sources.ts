/**
 * The gallery as programs in the expression language. `npm run examples` turns these into
 * the circuit files next to this one (with a tidy layout); the app loads the files.
 */
import type { UpstreamSeed } from '../engine/seed';

export interface ExampleSource {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly program: string;
  /** The upstream gradient at a tensor output, when it is not ones (the gradient of a sum). */
  readonly seed?: UpstreamSeed;
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
    id: 'neuron-gate',
    title: '2-D neuron, σ as a gate of your own',
    description:
      'The same neuron with σ defined as a gate from primitive gates, σ(x) = 1 / (1 + exp(−x)), and its local gradient written by hand as (1 − σ)·σ, which the app checks against numerical differences. Select the σ gate and press X to open it and play its inside.',
    program: [
      'sigma(x) = 1 / (1 + exp(-x))',
      'd/dx = (1 - sigma(x)) * sigma(x)',
      'w0 = 2',
      'x0 = -1',
      'w1 = -3',
      'x1 = -2',
      'w2 = -3',
      'dot = w0 * x0 + w1 * x1 + w2',
      'f = sigma(dot)',
    ].join('\n'),
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
  {
    id: 'notes-product',
    title: 'D = W · X with a random dD',
    description:
      'The product of a 5×10 and a 10×3 matrix, with a random upstream gradient dD (seed 7). Only one arrangement of dD, W and X has the right shape: dW = dD·Xᵀ is 5×10, dX = Wᵀ·dD is 10×3.',
    program: 'W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X',
    seed: { kind: 'random', seed: 7 },
  },
  {
    id: 'layer',
    title: 'A layer: h = relu(W·x + b), squared error',
    description:
      'One layer of a network on one example, and its squared-error loss against a target y. The bias b is added to every row it meets; relu passes the gradient only where h is positive.',
    program: [
      'W = [[0.5, -1, 0.25], [1.5, 0.5, -0.5]]',
      'x = [[1], [2], [-1]]',
      'b = [[0.1], [-0.2]]',
      'y = [[0], [1]]',
      'h = relu(W @ x + b)',
      'L = sum((h - y)^2)',
    ].join('\n'),
  },
  {
    id: 'svm',
    title: 'Multiclass SVM loss on a tiny batch',
    description:
      "Scores S = W·X + b for 3 classes and 4 examples (one per column); Y marks each example's correct class. The loss adds max(0, s − s_y + 1) over the wrong classes and averages over the batch. sum(·, 0) picks each column's correct score.",
    program: [
      'W = [[0.2, -0.5], [1.5, 1.3], [0, 0.25]]',
      'b = [[1.1], [3.2], [-1.2]]',
      'X = [[1, -2, 0.5, 3], [2, 1, -1, 0.5]]',
      'Y = [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0]]',
      'S = W @ X + b',
      'sy = sum(S * Y, 0)',
      'M = relu(S - sy + 1) * (1 - Y)',
      'L = sum(M) / 4',
    ].join('\n'),
  },
];
