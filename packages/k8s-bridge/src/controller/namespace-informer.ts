/** Namespaces, for their labels (IPAddressPool serviceAllocation.namespaceSelectors match them). */
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Namespace } from '@kubernetes/client-node';
import { ResourceInformer } from '../kube/informer.js';
import type { InformerOptions } from '../kube/informer.js';

export function namespaceInformer(kc: KubeConfig, options?: InformerOptions): ResourceInformer<V1Namespace> {
  const core = kc.makeApiClient(CoreV1Api);
  return new ResourceInformer<V1Namespace>(
    kc,
    {
      path: '/api/v1/namespaces',
      modelType: 'V1Namespace',
      list: (s) => core.listNamespace({ labelSelector: s.labelSelector, fieldSelector: s.fieldSelector }),
    },
    options,
  );
}
