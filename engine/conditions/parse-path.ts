import { JSONPath } from 'jsonpath-plus';

/** One step of a simple path: an object key, or an index (which also reads an object's key "0", "1"…). */
export type PathKey = string | number;

/** What a condition path turned out to be. */
export type ParsedPath =
  | { readonly kind: 'keys'; readonly keys: readonly PathKey[] }
  | { readonly kind: 'jsonpath'; readonly expression: string }
  | { readonly kind: 'invalid'; readonly reason: string };

interface Script {
  readonly filter: boolean;
  readonly code: string;
}

const INDEX = /^(?:0|[1-9]\d{0,14})$/;
// Names jsonpath-plus reads literally; anything else in a `$` path ($, @, ~, ^, quotes, parens…) is left to it.
const PLAIN_JSONPATH_NAME = /^[\p{L}\p{N}_\- ]+$/u;

class PathSyntaxError extends Error {}

/**
 * Parses a condition path. Dot paths (`a.b`, `items[0].sku`, `properties["order id"]`) and `$` paths
 * made only of names and indices become a key list; `$` paths with wildcards, filters, slices,
 * unions or recursive descent are left to jsonpath-plus (after a syntax check).
 */
export function parsePath(path: string): ParsedPath {
  try {
    return new PathParser(path).parse();
  } catch (error) {
    if (error instanceof PathSyntaxError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
}

class PathParser {
  readonly path: string;
  readonly isJsonPath: boolean;
  readonly keys: PathKey[] = [];
  readonly scripts: Script[] = [];
  complex = false;
  i = 0;

  constructor(path: string) {
    this.path = path;
    this.isJsonPath = path.startsWith('$');
  }

  parse(): ParsedPath {
    const { path } = this;
    if (path.length === 0) this.fail('is empty');
    if (this.isJsonPath) {
      this.i = 1;
      if (path.length > 1 && path[1] !== '.' && path[1] !== '[') this.fail("has '$' not followed by '.' or '['");
    } else if (path[0] === '.') {
      this.fail("starts with '.'");
    } else if (path[0] !== '[') {
      this.readName();
    }
    while (this.i < path.length) {
      const ch = path[this.i];
      if (ch === '.') this.readDotSegment();
      else if (ch === '[') this.readBracket();
      else if (ch === ']') this.fail(`has an unmatched ']' at character ${this.i}`);
      else this.fail(`has an unexpected '${ch}' at character ${this.i}`);
    }
    if (!this.complex) return { kind: 'keys', keys: this.keys };
    this.checkWithJsonPath();
    return { kind: 'jsonpath', expression: path };
  }

  private readDotSegment(): void {
    const { path } = this;
    if (path[this.i + 1] !== '.') {
      this.i += 1;
      this.readName();
      return;
    }
    if (!this.isJsonPath) {
      this.fail(`has an empty segment at character ${this.i + 1} (recursive descent '..' needs a JSONPath starting with '$')`);
    }
    this.complex = true;
    this.i += 2;
    if (this.i >= path.length) this.fail("ends with '..'");
    if (path[this.i] === '.') this.fail(`has '...' at character ${this.i - 2}`);
    if (path[this.i] !== '[') this.readName();
  }

  private readName(): void {
    const { path } = this;
    const start = this.i;
    while (this.i < path.length && path[this.i] !== '.' && path[this.i] !== '[') {
      if (path[this.i] === ']') this.fail(`has an unmatched ']' at character ${this.i}`);
      this.i += 1;
    }
    const name = path.slice(start, this.i);
    if (name.length === 0) this.fail(`has an empty segment at character ${start}`);
    if (name === '*') {
      if (!this.isJsonPath) this.fail("uses wildcard '*', which needs a JSONPath starting with '$'");
      this.complex = true;
      return;
    }
    if (this.isJsonPath && !PLAIN_JSONPATH_NAME.test(name)) this.complex = true;
    this.keys.push(toKey(name));
  }

  private readBracket(): void {
    const { path } = this;
    const open = this.i;
    const first = path[open + 1];
    if (first === '"' || first === "'") {
      const { text, end, escaped } = this.readQuoted(open + 1);
      if (path[end] === ']') {
        // jsonpath-plus mangles escaped quotes, so a `$` path with escapes is not simplified either way.
        if (this.isJsonPath && escaped) this.complex = true;
        this.keys.push(toKey(text));
        this.i = end + 1;
        return;
      }
    } else {
      const close = path.indexOf(']', open);
      if (close > open && INDEX.test(path.slice(open + 1, close))) {
        this.keys.push(Number(path.slice(open + 1, close)));
        this.i = close + 1;
        return;
      }
    }
    const close = this.findClosingBracket(open);
    const content = path.slice(open + 1, close);
    if (content.trim().length === 0) this.fail(`has empty brackets at character ${open}`);
    if (!this.isJsonPath) {
      const what = content === '*' ? "wildcard '[*]'" : `'[${content}]'`;
      this.fail(`uses ${what} at character ${open}; brackets hold an index or a quoted key unless the path is a JSONPath starting with '$'`);
    }
    this.complex = true;
    if (content.startsWith('?(') || content.startsWith('(')) {
      if (!content.endsWith(')')) this.fail(`has a script at character ${open} that does not end with ')'`);
      const filter = content.startsWith('?(');
      this.scripts.push({ filter, code: content.slice(filter ? 2 : 1, -1) });
    }
    this.i = close + 1;
  }

  private readQuoted(start: number): { text: string; end: number; escaped: boolean } {
    const { path } = this;
    const quote = path[start];
    let text = '';
    let escaped = false;
    for (let j = start + 1; j < path.length; j += 1) {
      const ch = path[j];
      if (ch === '\\' && j + 1 < path.length) {
        escaped = true;
        j += 1;
        text += path[j];
      } else if (ch === quote) {
        return { text, end: j + 1, escaped };
      } else {
        text += ch;
      }
    }
    return this.fail(`has an unterminated string starting at character ${start}`);
  }

  private findClosingBracket(open: number): number {
    const { path } = this;
    const stack: string[] = [];
    for (let j = open; j < path.length; j += 1) {
      const ch = path[j];
      if (ch === '"' || ch === "'") {
        j = this.readQuoted(j).end - 1;
      } else if (ch === '[' || ch === '(') {
        stack.push(ch === '[' ? ']' : ')');
      } else if (ch === ']' || ch === ')') {
        if (stack.pop() !== ch) this.fail(`has an unbalanced '${ch}' at character ${j}`);
        if (stack.length === 0) return j;
      }
    }
    return this.fail(`has an unclosed '[' at character ${open}`);
  }

  private checkWithJsonPath(): void {
    try {
      JSONPath.toPathArray(this.path);
    } catch (error) {
      this.fail(`is not a valid JSONPath: ${messageOf(error)}`);
    }
    for (const script of this.scripts) {
      // Parse errors in scripts only surface when a script runs, so run each once on a probe document.
      const probe = script.filter ? `$[?(${script.code})]` : `$[(${script.code})]`;
      try {
        JSONPath({ path: probe, json: [{}], wrap: true, ignoreEvalErrors: true });
      } catch (error) {
        this.fail(`has an invalid ${script.filter ? 'filter' : 'script'} '${script.code}': ${messageOf(error)}`);
      }
    }
  }

  private fail(reason: string): never {
    throw new PathSyntaxError(reason);
  }
}

function toKey(name: string): PathKey {
  return INDEX.test(name) ? Number(name) : name;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
