/**
 * The engine's public surface. Pure TypeScript: it runs the same in Node and in the browser.
 */
export { type CompileOptions, compile } from './compile';
export { CircuitError, ParseError, type Problem } from './errors';
export { type GradientCheck, numericalGradient } from './numerical';
export type { BinaryOp, OpDef, OpFamily, SourceOp, TensorOp, UnaryOp } from './ops';
export { ALL_OPS, getOp, isSource } from './ops';
export { type ParsedProgram, parse } from './parse';
export { toProgram } from './print';
export { Evaluation, type InputValues, type NonFiniteOrigin, Program } from './program';
export {
  type BackwardStep,
  backwardSteps,
  type ForwardStep,
  forEachContribution,
  forwardSteps,
  type PlaybackStep,
  playbackSteps,
  type SeedStep,
  type StepTerm,
} from './steps';
export {
  formatShape,
  fromNested,
  isTensor,
  randn,
  scalar,
  shapeEquals,
  sizeOf,
  tensor,
  toNested,
  toValue,
} from './tensor';
export * from './types';
