/** Loads the JSON fixtures of test/mappings and the realistic action fields they run against. */
import { readdirSync, readFileSync } from 'node:fs';
import type { InputField } from '../../destinations/actions-core.ts';

const here = new URL('./fixtures/', import.meta.url);

/** Every `fixtures/<folder>/*.json`, parsed, with its file name. */
export function loadFixtures<T>(folder: string): Array<{ file: string; fixture: T }> {
  const dir = new URL(`${folder}/`, here);
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((file) => ({ file, fixture: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as T }));
}

/** A hand-written "send email" action, shaped like a catalog email destination's fields. */
export const emailActionFields: Record<string, InputField> = {
  email: { label: 'Email', description: 'Recipient address.', type: 'string', format: 'email', required: true },
  subject: { label: 'Subject', description: 'Subject line.', type: 'string', required: true, default: 'We saved your cart' },
  first_name: { label: 'First name', description: 'Greeting name.', type: 'string' },
  order_total: { label: 'Order total', description: 'Cart total.', type: 'number' },
  quantity: { label: 'Quantity', description: 'Items in the cart.', type: 'integer' },
  send_at: { label: 'Send at', description: 'When to send.', type: 'datetime' },
  priority: { label: 'Priority', description: 'Delivery priority.', type: 'string', choices: ['low', 'normal', 'high'] },
  tags: { label: 'Tags', description: 'Message tags.', type: 'string', multiple: true },
  marketing: { label: 'Marketing', description: 'Is a marketing message.', type: 'boolean' },
  properties: { label: 'Properties', description: 'Template variables.', type: 'object' },
  items: {
    label: 'Items', description: 'Cart lines.', type: 'object', multiple: true,
    properties: { id: { label: 'Id', type: 'string', required: true }, qty: { label: 'Qty', type: 'integer' } },
  },
};
