/**
 * Resolving a tenant's named split plan, apart from the plan's zod schemas: the wave workflow
 * needs only this, and every workflow evaluates the modules the wave imports.
 */
import type { SourceSplit, SplitPlan } from './splitPlan';

/**
 * Replaces a named plan by the wave's plan of that name, so a child workflow's input is
 * self-contained. Throws naming the tenant and the plan when it is missing.
 */
export function resolveSplitPlan(tenantId: string, split: SourceSplit, plans: Record<string, SplitPlan> | undefined): SourceSplit {
  if (typeof split.plan !== 'string') return split;
  const plan = plans?.[split.plan];
  if (!plan) throw new Error(`tenant ${tenantId}: split plan "${split.plan}" is not in the wave's splitPlans`);
  return { ...split, plan };
}
