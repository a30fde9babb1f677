import { useEffect, useState } from 'react';
import { api } from '../../api/client.ts';

export interface Tier {
  code: string;
  name: string;
}

/** C2: the tiers of the published policy, for names and the filter; none when the policy cannot be read. */
export function useTiers(): Tier[] {
  const [tiers, setTiers] = useState<Tier[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/policies/current', { signal: controller.signal })
      .then((p) => setTiers(p.document.customerTiers.tiers.map(({ code, name }) => ({ code, name }))))
      // Without the policy the codes show instead of the names.
      .catch(() => undefined);
    return () => controller.abort();
  }, []);
  return tiers;
}
