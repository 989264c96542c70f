/** @metallb-ts/k8s-bridge: MetalLB's configuration, IP allocation and the speaker feed. */
export {};
