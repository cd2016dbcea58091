/**
 * The engine's public surface. Pure TypeScript: it runs the same in Node and in the browser.
 */
export { type CompileOptions, compile } from './compile';
export {
  type DimensionKind,
  type DimensionOptions,
  type Factor,
  type PortDimensions,
  type StepDimensions,
  stepDimensions,
  type Term,
  type WorkedEntry,
} from './dimensions';
export { CircuitError, ParseError, type Problem } from './errors';
export {
  formatLiteral,
  formatNumber,
  formatShort,
  literalCode,
  texLiteral,
  texNumber,
} from './format';
export {
  type CompositeInfo,
  type CompositeOp,
  type DerivativeProblem,
  isComposite,
} from './gates/composite';
export { KNOWN_FUNCTIONS, type KnownFunction, recognise } from './gates/known';
export {
  gateNameProblem,
  gateOps,
  libraryProblems,
  lookupIn,
  nameTaken,
  resolveOp,
} from './gates/scope';
export { type GradientCheck, numericalGradient } from './numerical';
export type {
  BinaryOp,
  CallSyntax,
  InfixSyntax,
  OpDef,
  OpFamily,
  OpSyntax,
  Params,
  PrefixSyntax,
  Rewrite,
  SourceOp,
  TensorGate,
  TensorOp,
  UnaryOp,
} from './ops';
export { ALL_OPS, getOp, isSource } from './ops';
export { type ParsedProgram, type ParseOptions, parse, parseGates } from './parse';
export { printDefinition, toProgram } from './print';
export {
  Evaluation,
  type InputValues,
  type NonFiniteOrigin,
  type ParamOverrides,
  Program,
  type RunOptions,
} from './program';
export { mulberry32 } from './random';
export { seedValues, type UpstreamSeed } from './seed';
export {
  type BackwardStep,
  backwardSteps,
  type ForwardStep,
  forEachContribution,
  forwardSteps,
  type PlaybackStep,
  playbackSteps,
  type SeedStep,
  type StepLiteral,
  type StepTerm,
} from './steps';
export { FUNCTIONS, INFIX, PREFIX, RESERVED_NAMES } from './syntax';
export {
  broadcastIndex,
  broadcastPartners,
  broadcastShape,
  broadcastStrides,
  formatShape,
  fromNested,
  isTensor,
  randn,
  scalar,
  shapeEquals,
  shapeInWords,
  sizeOf,
  tensor,
  toNested,
  toValue,
} from './tensor';
export * from './types';
