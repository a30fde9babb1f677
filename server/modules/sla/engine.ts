import type { Writer } from '../../platform/write.ts';

export const SLA_METRICS = ['first_response', 'next_response', 'greeting', 'problem_understood', 'resolution', 'callback'] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];

/** Stops the latest running clock of this metric as met (e.g. the closure callback was made). */
export async function meetSlaTarget(_w: Writer, _conversationId: string, _metric: SlaMetric): Promise<void> {}
