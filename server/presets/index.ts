import { callCenter } from './call-center.ts';
import { consumerElectronics } from './consumer-electronics.ts';
import { ecommerce } from './ecommerce.ts';
import { manufacturingB2b } from './manufacturing-b2b.ts';
import { shortDrama } from './short-drama.ts';
import type { Preset } from './types.ts';

/** One preset per seed regulation (PR1), in seed order. */
export const PRESETS: Record<string, Preset> = Object.fromEntries(
  [consumerElectronics, shortDrama, callCenter, ecommerce, manufacturingB2b].map((p) => [p.name, p]),
);

export const PRESET_NAMES = Object.keys(PRESETS);
