/**
 * Every fuzz campaign `npm run fuzz` runs: one import and one list entry each.
 */
import type { Campaign } from './campaign';
import { stringCampaigns } from './strings';

export const campaigns: readonly Campaign[] = [...stringCampaigns];
