/**
 * Builds Segment track messages of about 1 KB as JSON text, each with a unique messageId.
 * The text is assembled from pre-serialized fragments so the load generator spends its core on
 * HTTP, not on JSON.stringify.
 */
export class EventFactory {
  readonly #runId: string;
  readonly #userCount: number;
  readonly #propertyTails: string[];
  #seq = 0;

  /** `userCount` spreads events over that many users (default 10,000), as real traffic does. */
  constructor(options: { runId: string; userCount?: number }) {
    this.#runId = options.runId;
    this.#userCount = options.userCount ?? 10_000;
    this.#propertyTails = Array.from({ length: 16 }, (_, i) => {
      const properties = {
        checkout_id: `chk_${i.toString(36).padStart(8, '0')}`,
        currency: 'EUR',
        revenue: 42.5 + i,
        shipping: 4.99,
        tax: 8.08,
        coupon: i % 3 === 0 ? 'SPRING24' : null,
        affiliation: 'Web Store',
        products: Array.from({ length: 3 }, (_unused, p) => ({
          product_id: `prod_${i}_${p}`,
          sku: `SKU-${1000 + i * 10 + p}`,
          name: `Product number ${p} of variant ${i}`,
          category: ['Games', 'Books', 'Garden'][p],
          price: 9.99 + p,
          quantity: 1 + (p % 2),
          url: `https://shop.example.com/products/${i}/${p}`,
          image_url: `https://cdn.example.com/images/${i}/${p}.jpg`,
        })),
      };
      return JSON.stringify(properties).slice(1); // without its '{', so order_id can lead
    });
  }

  /** Events made so far. */
  get count(): number {
    return this.#seq;
  }

  /** One track message as JSON text. */
  track(timestamp: string): string {
    const seq = this.#seq++;
    const user = seq % this.#userCount;
    return `{"type":"track","userId":"user-${user}","event":"Order Completed","messageId":"${this.#runId}-${seq}",`
      + `"timestamp":"${timestamp}","context":{"library":{"name":"journey-bench","version":"1.0.0"}},`
      + `"properties":{"order_id":"ord-${seq}",${this.#propertyTails[seq % this.#propertyTails.length]}}`;
  }

  /** A `/v1/batch` body of `size` track messages. */
  batch(size: number, timestamp: string): string {
    const items = new Array<string>(size);
    for (let i = 0; i < size; i++) items[i] = this.track(timestamp);
    return `{"batch":[${items.join(',')}],"sentAt":"${timestamp}"}`;
  }
}
