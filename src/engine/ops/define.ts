import { portName } from '../types';

/** Port names used across the op families. They are also the canvas handle ids. */
export const X = portName('x');
export const A = portName('a');
export const B = portName('b');
