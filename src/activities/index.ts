/** Every activity the workers host. Workflows import this module as types only. */
export { prepareTarget, describeSource } from './prepare';
export { createSchema, applyPostData } from './schema';
export { planCopy } from './plan';
export { copyTableSlice } from './copy';
export { validateTable } from './validate';
export { markTargetComplete, markTargetFailed } from './finalize';
