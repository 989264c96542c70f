/**
 * The informers the bridge runs: Services, EndpointSlices, Nodes, the Secrets MetalLB's CRDs
 * refer to (BGP passwords), and MetalLB's own CRDs. Each is a ResourceInformer over one
 * collection, listed through the generated API client and watched at the same path.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Node,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import { ResourceInformer, type InformerOptions } from './informer.js';

/** Services of every namespace. */
export function serviceInformer(kc: KubeConfig, options?: InformerOptions): ResourceInformer<V1Service> {
  const core = kc.makeApiClient(CoreV1Api);
  return new ResourceInformer<V1Service>(
    kc,
    {
      path: '/api/v1/services',
      modelType: 'V1Service',
      list: (s) => core.listServiceForAllNamespaces({ labelSelector: s.labelSelector, fieldSelector: s.fieldSelector }),
    },
    options,
  );
}

/** EndpointSlices of every namespace (label kubernetes.io/service-name ties them to a Service). */
export function endpointSliceInformer(kc: KubeConfig, options?: InformerOptions): ResourceInformer<V1EndpointSlice> {
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  return new ResourceInformer<V1EndpointSlice>(
    kc,
    {
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      modelType: 'V1EndpointSlice',
      list: (s) => discovery.listEndpointSliceForAllNamespaces({ labelSelector: s.labelSelector, fieldSelector: s.fieldSelector }),
    },
    options,
  );
}

export function nodeInformer(kc: KubeConfig, options?: InformerOptions): ResourceInformer<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  return new ResourceInformer<V1Node>(
    kc,
    {
      path: '/api/v1/nodes',
      modelType: 'V1Node',
      list: (s) => core.listNode({ labelSelector: s.labelSelector, fieldSelector: s.fieldSelector }),
    },
    options,
  );
}

/** Secrets of one namespace (MetalLB's own: BGPPeer.spec.passwordSecret points there). */
export function secretInformer(kc: KubeConfig, namespace: string, options?: InformerOptions): ResourceInformer<V1Secret> {
  const core = kc.makeApiClient(CoreV1Api);
  return new ResourceInformer<V1Secret>(
    kc,
    {
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
      modelType: 'V1Secret',
      list: (s) => core.listNamespacedSecret({ namespace, labelSelector: s.labelSelector, fieldSelector: s.fieldSelector }),
    },
    options,
  );
}

export const METALLB_GROUP = 'metallb.io';

/** MetalLB's CRDs and the version we read each at (BGPPeer is stored as v1beta2 since MetalLB 0.13). */
export const METALLB_RESOURCES = {
  ipaddresspools: { kind: 'IPAddressPool', version: 'v1beta1' },
  bgppeers: { kind: 'BGPPeer', version: 'v1beta2' },
  bgpadvertisements: { kind: 'BGPAdvertisement', version: 'v1beta1' },
  l2advertisements: { kind: 'L2Advertisement', version: 'v1beta1' },
  communities: { kind: 'Community', version: 'v1beta1' },
  bfdprofiles: { kind: 'BFDProfile', version: 'v1beta1' },
} as const;

export type MetallbResource = keyof typeof METALLB_RESOURCES;

/** A MetalLB custom resource as read from the API: spec and status stay untyped JSON here. */
export interface MetallbObject extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** One MetalLB CRD in one namespace (MetalLB reads only its own namespace). */
export function metallbInformer<T extends MetallbObject = MetallbObject>(
  kc: KubeConfig,
  resource: MetallbResource,
  namespace: string,
  options?: InformerOptions,
): ResourceInformer<T> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { version } = METALLB_RESOURCES[resource];
  return new ResourceInformer<T>(
    kc,
    {
      path: `/apis/${METALLB_GROUP}/${version}/namespaces/${encodeURIComponent(namespace)}/${resource}`,
      modelType: undefined,
      list: async (s) =>
        (await custom.listNamespacedCustomObject({
          group: METALLB_GROUP,
          version,
          namespace,
          plural: resource,
          labelSelector: s.labelSelector,
          fieldSelector: s.fieldSelector,
        })) as KubernetesListObject<T>,
    },
    options,
  );
}
