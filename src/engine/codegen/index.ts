/** The circuit written as code: staged Python, NumPy, PyTorch and TypeScript. */
export {
  type Code,
  type CodeLine,
  type CodeOptions,
  codeSize,
  type GeneratedCode,
  generateCode,
  LANGUAGES,
  type Language,
  type LineStep,
  type UnavailableCode,
} from './generate';
export { identifier, NameTable } from './names';
export { OP_CODE, type OpCode, opCode } from './ops';
