import type { DeliveryRecord } from '../store/delivery-store.ts';
import type { InstanceStore } from '../store/instance-store.ts';

/**
 * Why a delivery must not be sent any more, or null to send it: the re-check of the instance that
 * every deferred effect makes when it runs (product.md, Reliability).
 *
 * A send that waited (a retry, a hand-off recovered after a restart) is dropped when its instance
 * was exited after the send was recorded: by an exit rule, a conversion goal, an archived
 * version. A user who bought no longer gets "you left something in your cart" four hours later,
 * when the destination comes back. Not dropped: an instance that completed (it reached the end of
 * its path, the send included), an exit rule's own send (recorded in the exiting write), a
 * re-drive made after the exit (the operator asked for it), and an instance purged by retention.
 */
export async function reasonNotToSend(instances: InstanceStore, d: DeliveryRecord): Promise<string | null> {
  if (d.stepId.startsWith('exit:')) return null;
  const instance = await instances.get(d.spaceId, d.instanceId);
  if (!instance || instance.status !== 'exited' || instance.endedAt === null) return null;
  // A re-drive restarts the retry window (firstAttemptAt null) after attempts: it is dated by updatedAt.
  const redriven = d.attempts > 0 && d.firstAttemptAt === null;
  const sendAsked = redriven ? d.updatedAt : d.createdAt;
  // Same instant: the exit and the send came from one run (the send happened before the exit in it).
  if (Date.parse(instance.endedAt) <= Date.parse(sendAsked)) return null;
  return `not sent: the instance exited (${instance.endReason ?? 'no reason recorded'}) at ${instance.endedAt}, after the send was recorded`;
}
