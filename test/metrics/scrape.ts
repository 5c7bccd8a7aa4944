/**
 * Reads `GET /metrics` the way Prometheus does: a small parser of the text exposition format
 * (version 0.0.4) and lookups by name and labels for the metrics tests.
 */
import { expect } from 'chai';

/** One sample line: `name{label="value",…} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed scrape: its samples and the declared type of each family. */
export class Scrape {
  readonly samples: Sample[];
  readonly types: Map<string, string>;

  constructor(samples: Sample[], types: Map<string, string>) {
    this.samples = samples;
    this.types = types;
  }

  /** Samples of this name whose labels include `labels`. */
  matching(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** Sum of the matching samples' values (0 when there is none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  /** Whether any sample of this name (with these labels) exists. */
  has(name: string, labels: Record<string, string> = {}): boolean {
    return this.matching(name, labels).length > 0;
  }
}

/** Parses Prometheus text exposition format; throws on a line it cannot read. */
export function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) {
        if (types.has(type[1]!)) throw new Error(`family ${type[1]} declared twice`);
        types.set(type[1]!, type[2]!);
      }
      continue;
    }
    samples.push(parseSample(line));
  }
  return new Scrape(samples, types);
}

function parseSample(line: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (name === undefined) throw new Error(`unreadable sample: ${line}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
      if (key === undefined || line[i + key.length] !== '=' || line[i + key.length + 1] !== '"') throw new Error(`unreadable labels: ${line}`);
      i += key.length + 2;
      let value = '';
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error(`unterminated label value: ${line}`);
        if (line[i] === '\\') {
          const escaped = line[i + 1];
          value += escaped === 'n' ? '\n' : escaped;
          i += 2;
        } else {
          value += line[i];
          i++;
        }
      }
      labels[key] = value;
      i++;
      if (line[i] === ',') i++;
    }
    i++;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const raw = rest[0] ?? '';
  // Prometheus reads special values case-insensitively (prom-client writes NaN as `Nan`).
  const special = raw.toLowerCase();
  const value = special === '+inf' ? Infinity : special === '-inf' ? -Infinity : special === 'nan' ? NaN : Number(raw);
  if (raw === '' || (Number.isNaN(value) && special !== 'nan')) throw new Error(`unreadable value: ${line}`);
  return { name, labels, value };
}

/** GETs `/metrics` (no credentials, like Prometheus), checks the content type and parses it. */
export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  expect(res.status, text).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  return parseExposition(text);
}

/** Scrapes until `check` passes (the answer of a request can be counted just after the client has it). */
export async function scrapeUntil(url: string, check: (s: Scrape) => boolean, timeoutMs = 3_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(url);
    if (check(s) || Date.now() > deadline) return s;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
