/** A Segment destination-function handler. */
export type FunctionHandler = 'onTrack' | 'onIdentify' | 'onPage' | 'onScreen' | 'onGroup' | 'onAlias' | 'onDelete' | 'onBatch';

const HANDLERS: Readonly<Record<string, FunctionHandler>> = {
  track: 'onTrack', identify: 'onIdentify', page: 'onPage', screen: 'onScreen', group: 'onGroup', alias: 'onAlias', delete: 'onDelete',
};

/** The handler an event of this type calls (`onTrack` for `track`…); onTrack for an unknown type. */
export function handlerFor(type: unknown): FunctionHandler {
  return (typeof type === 'string' ? HANDLERS[type] : undefined) ?? 'onTrack';
}

/** What one call of a function produced. */
export type InvocationOutcome = {
  logs: Array<{ level: string; message: string; at?: string | number }>;
  requests: Array<{ method: string; url: string; status: number | null; durationMs: number; error?: string }>;
  timing: { totalMs: number; coldStart: boolean };
} & ({ ok: true; value: unknown } | { ok: false; error: { name: string; message: string } });

/** Runs function code in the sandbox (functions-runtime/): the engine's only view of it. */
export interface FunctionRunner {
  /** null when the code compiles; else where it does not. */
  checkSyntax(code: string): { message: string; line: number; column: number } | null | Promise<{ message: string; line: number; column: number } | null>;
  invoke(input: { key: string; code: string; handler: FunctionHandler; payload: unknown; settings: Record<string, unknown> }): Promise<InvocationOutcome>;
}
