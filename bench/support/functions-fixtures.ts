/**
 * What the functions benchmark runs: the functions' code, realistic Segment track events for them
 * (about 1 KB each, plain objects), a fetch that is never called (no I/O is measured), and the
 * process-level helpers it needs (pinning to one core, a forced GC, RSS).
 */
import { execFileSync } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { HostFetch } from '../../functions-runtime/host-fetch-types.ts';

/** The small mapping function of issue 5: the warm throughput phases. */
export const MAPPING_CODE = `async function onTrack(event, settings) {
  return { email: event.context.traits.email, total: event.properties.total * 100, tags: _.uniq(event.properties.tags) };
}`;

/** An async handler that returns its input at once: its call time is the sandbox's overhead. */
export const ECHO_CODE = `async function onTrack(event, settings) {
  return event;
}`;

/** The mapping function under a distinct key and with distinct text (nothing shared between them). */
export function distinctMappingCode(n: number): string {
  return `${MAPPING_CODE}\n// function ${n}\n`;
}

/** A Segment track event object, as the delivery pipeline hands it to a function. */
export type TrackEvent = Record<string, unknown> & {
  context: { traits: { email: string } };
  properties: { total: number; tags: string[] };
};

const TAGS = ['vip', 'newsletter', 'mobile', 'returning', 'eu', 'promo', 'gift', 'b2b'];

/** `count` distinct track events of about 1 KB (a repeated tag in each, so `_.uniq` has work). */
export function trackEvents(count: number): TrackEvent[] {
  return Array.from({ length: count }, (_unused, i) => {
    const tags = [TAGS[i % 8]!, TAGS[(i + 3) % 8]!, TAGS[i % 8]!, TAGS[(i + 5) % 8]!];
    return {
      type: 'track',
      event: 'Order Completed',
      messageId: `bench-${i.toString(36).padStart(8, '0')}-${(i * 7919).toString(16)}`,
      userId: `user-${i % 1000}`,
      anonymousId: `anon-${(i * 31) % 100_000}`,
      timestamp: new Date(Date.UTC(2026, 10, 22, 12, 0, i % 60)).toISOString(),
      receivedAt: new Date(Date.UTC(2026, 10, 22, 12, 0, i % 60, 120)).toISOString(),
      context: {
        library: { name: 'analytics.js', version: '5.2.0' },
        ip: `203.0.113.${i % 250}`,
        locale: 'en-GB',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
        page: { path: '/checkout/complete', url: 'https://shop.example.com/checkout/complete', title: 'Thank you' },
        traits: { email: `user-${i % 1000}@example.com`, name: `Customer ${i % 1000}`, plan: i % 3 === 0 ? 'pro' : 'free' },
      },
      properties: {
        order_id: `ord-${i}`,
        total: 42.5 + (i % 100),
        currency: 'EUR',
        coupon: i % 4 === 0 ? 'SPRING24' : null,
        tags,
        products: Array.from({ length: 2 }, (_p, p) => ({
          product_id: `prod_${i % 50}_${p}`,
          sku: `SKU-${1000 + p}`,
          name: `Product number ${p}`,
          price: 9.99 + p,
          quantity: 1 + (p % 2),
          url: `https://shop.example.com/products/${i % 50}/${p}`,
        })),
      },
    };
  });
}

/** What the mapping function must return for `event` (to check every answer of a phase cheaply). */
export function expectedTotal(event: TrackEvent): number {
  return event.properties.total * 100;
}

/** A HostFetch for functions that make no requests: any call is a benchmark bug. */
export const noFetch: HostFetch = () => Promise.reject(new Error('the functions benchmark makes no outbound requests'));

/**
 * Pins this process (all its threads, and the threads they start later) to one CPU, so that
 * "per core" means one core although isolated-vm runs isolate code on threads of its own.
 * Returns a description of what was done.
 */
export function pinToCpu(cpu: number | null): string {
  if (cpu === null) return 'not pinned (BENCH_FUNCTION_CPU=none)';
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
    return `pinned to CPU ${cpu} (taskset -a)`;
  } catch (error) {
    return `NOT pinned: taskset failed (${(error as Error).message.split('\n')[0]})`;
  }
}

v8.setFlagsFromString('--expose-gc');
const hostGc = vm.runInNewContext('gc') as () => void;

/** A full host GC (twice, so weak callbacks and their second pass run), then a short settle. */
export async function fullGc(): Promise<void> {
  hostGc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  hostGc();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Resident set size of this process, in bytes. */
export function rssBytes(): number {
  return process.memoryUsage.rss();
}
