/**
 * Every fuzz campaign `npm run fuzz` runs: one import and one list entry each.
 */
import type { Campaign } from './campaign';
import { specs } from './specs';
import { terms } from './terms';
import { params } from './params';
import { flags } from './flags';
import { stringCampaigns } from './strings';

export const campaigns: readonly Campaign[] = [specs, terms, params, flags, ...stringCampaigns];
