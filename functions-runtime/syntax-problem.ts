import type { IsolatedVM } from './isolated-vm.ts';
import { FUNCTION_FILENAME } from './function-isolate.ts';

/** A syntax error in a function's code; line and column are 1-based. */
export interface SyntaxProblem {
  message: string;
  line: number;
  column: number;
}

// isolated-vm appends the position to compile errors as " [function.js:LINE:COLUMN]".
const POSITION = /\s*\[function\.js:(\d+):(\d+)\]$/;

/**
 * Compiles `code` without running it in `isolate` (a small one kept for this purpose: nothing
 * ever runs there) and returns the first syntax error or null. V8 reports early errors inside functions too (its pre-parser
 * checks lazily compiled bodies), so one compile finds them.
 */
export function findSyntaxProblem(isolate: IsolatedVM.Isolate, code: string): SyntaxProblem | null {
  try {
    isolate.compileScriptSync(code, { filename: FUNCTION_FILENAME }).release();
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = POSITION.exec(message);
    return {
      message: message.replace(POSITION, ''),
      line: position ? Number(position[1]) : 1,
      column: position ? Number(position[2]) : 1,
    };
  }
}
