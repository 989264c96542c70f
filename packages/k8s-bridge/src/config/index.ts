/** k8s-bridge configuration: kubespray variables (flat and metallb_config) or MetalLB CRDs -> one validated model. */
export * from './model.js';
export { detectInput, isProblems, loadConfigFile, parseConfigText, resolveDocuments } from './load.js';
export type { InputKind } from './load.js';
export { anySelectorMatches, selectorMatches } from './selectors.js';
export { canonicalAddress, parseAddressRange, rangeBounds, rangeCovered, rangesOverlap } from './addresses.js';
export type { RangeBounds } from './addresses.js';
