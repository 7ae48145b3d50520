/** Workflow time: inside a workflow, Date is Temporal's deterministic replay clock. */
export function workflowNow(): Date {
  return new Date();
}

export function isoNow(): string {
  return workflowNow().toISOString();
}
