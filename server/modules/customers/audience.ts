import type { Audience } from '../../platform/events/outbox.ts';

/** Customer events go to whoever may read archives. */
export const CUSTOMER_AUDIENCE: Audience = { permissions: ['customers.read'] };
