/**
 * MetalLB's ServiceL2Status objects (metallb.io/v1beta1, MetalLB 0.14+): one per Service this node
 * answers for in Layer 2 mode, in MetalLB's namespace, so `kubectl get servicel2statuses -n
 * metallb-system` shows which node (and interfaces) carries each Service. Shaped as MetalLB's
 * speaker writes them (speaker's layer2 status reconciler): generateName "l2-", the labels
 * metallb.io/node, metallb.io/service-name and metallb.io/service-namespace, status {node,
 * serviceName, serviceNamespace, interfaces[{name}]}, owned by the speaker pod when its name and
 * uid are known (the objects then go with the pod).
 *
 * Each node writes only its own objects (a label selector on metallb.io/node): it creates the
 * missing ones, corrects the interfaces of the others, and deletes those of Services it no longer
 * answers for, stale ones from an earlier run included.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject } from '@kubernetes/client-node';
import { ResourceInformer } from '../kube/informer.js';
import type { InformerOptions } from '../kube/informer.js';
import { METALLB_GROUP } from '../kube/informers.js';
import type { MetallbObject } from '../kube/informers.js';
import { splitNamespacedKey as splitKey } from '../sources/kube-objects.js';

export const SERVICE_L2_STATUS = { plural: 'servicel2statuses', kind: 'ServiceL2Status', version: 'v1beta1' } as const;
export const LABEL_ANNOUNCE_NODE = 'metallb.io/node';
export const LABEL_SERVICE_NAME = 'metallb.io/service-name';
export const LABEL_SERVICE_NAMESPACE = 'metallb.io/service-namespace';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The pod the objects belong to (downward API: metadata.name and metadata.uid). */
export interface OwnerPod {
  readonly name: string;
  readonly uid: string;
}

/** "namespace/name" of a Service -> the interfaces it is answered on, sorted. */
export type DesiredL2Statuses = ReadonlyMap<string, readonly string[]>;

export class ServiceL2Statuses {
  readonly informer: ResourceInformer<MetallbObject>;
  private readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly nodeName: string,
    private readonly owner: OwnerPod | undefined,
    informerOptions?: InformerOptions,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    const custom = this.custom;
    const labelSelector = `${LABEL_ANNOUNCE_NODE}=${nodeName}`;
    this.informer = new ResourceInformer<MetallbObject>(
      kc,
      {
        path: `/apis/${METALLB_GROUP}/${SERVICE_L2_STATUS.version}/namespaces/${encodeURIComponent(namespace)}/${SERVICE_L2_STATUS.plural}`,
        modelType: undefined,
        list: async (s) =>
          (await custom.listNamespacedCustomObject({
            group: METALLB_GROUP,
            version: SERVICE_L2_STATUS.version,
            namespace,
            plural: SERVICE_L2_STATUS.plural,
            labelSelector: s.labelSelector,
            fieldSelector: s.fieldSelector,
          })) as KubernetesListObject<MetallbObject>,
      },
      { ...informerOptions, labelSelector },
    );
  }

  /**
   * Makes this node's objects match `desired`. Rejects with the first API error after trying
   * every object (the caller retries on its next pass).
   */
  async sync(desired: DesiredL2Statuses): Promise<{ created: number; updated: number; deleted: number }> {
    const errors: unknown[] = [];
    const counts = { created: 0, updated: 0, deleted: 0 };
    const seen = new Set<string>();
    for (const object of this.informer.list()) {
      const name = object.metadata?.name;
      if (name === undefined) continue;
      const key = `${object.metadata?.labels?.[LABEL_SERVICE_NAMESPACE] ?? ''}/${object.metadata?.labels?.[LABEL_SERVICE_NAME] ?? ''}`;
      const interfaces = desired.get(key);
      if (interfaces === undefined || seen.has(key)) {
        // Not answered here any more (or a second object for one Service): MetalLB deletes it too.
        await this.call(() => this.custom.deleteNamespacedCustomObject(this.address(name)), errors, () => counts.deleted++);
        continue;
      }
      seen.add(key);
      const current = (object.status?.['interfaces'] as { name?: string }[] | undefined)?.map((i) => i.name ?? '') ?? [];
      if (sameList(current, interfaces) && object.status?.['node'] === this.nodeName) continue;
      await this.call(() => this.writeStatus(name, key, interfaces), errors, () => counts.updated++);
    }
    for (const [key, interfaces] of desired) {
      if (seen.has(key)) continue;
      await this.call(() => this.create(key, interfaces), errors, () => counts.created++);
    }
    if (errors.length > 0) throw errors[0];
    return counts;
  }

  private async create(key: string, interfaces: readonly string[]): Promise<void> {
    const [serviceNamespace, serviceName] = splitKey(key);
    const created = (await this.custom.createNamespacedCustomObject({
      group: METALLB_GROUP,
      version: SERVICE_L2_STATUS.version,
      namespace: this.namespace,
      plural: SERVICE_L2_STATUS.plural,
      body: {
        apiVersion: `${METALLB_GROUP}/${SERVICE_L2_STATUS.version}`,
        kind: SERVICE_L2_STATUS.kind,
        metadata: {
          generateName: 'l2-',
          namespace: this.namespace,
          labels: { [LABEL_ANNOUNCE_NODE]: this.nodeName, [LABEL_SERVICE_NAME]: serviceName, [LABEL_SERVICE_NAMESPACE]: serviceNamespace },
          ...(this.owner === undefined
            ? {}
            : { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: this.owner.name, uid: this.owner.uid }] }),
        },
        spec: {},
      },
    })) as MetallbObject;
    // The status subresource: a create ignores status, so it is written after.
    const name = created.metadata?.name;
    if (name === undefined) throw new Error('the API server returned a ServiceL2Status without a name');
    await this.writeStatus(name, key, interfaces);
  }

  private async writeStatus(name: string, key: string, interfaces: readonly string[]): Promise<void> {
    const [serviceNamespace, serviceName] = splitKey(key);
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        ...this.address(name),
        body: { status: { node: this.nodeName, serviceName, serviceNamespace, interfaces: interfaces.map((i) => ({ name: i })) } },
      },
      MERGE_PATCH,
    );
  }

  private address(name: string) {
    return { group: METALLB_GROUP, version: SERVICE_L2_STATUS.version, namespace: this.namespace, plural: SERVICE_L2_STATUS.plural, name };
  }

  private async call(action: () => Promise<unknown>, errors: unknown[], done: () => void): Promise<void> {
    try {
      await action();
      done();
    } catch (error) {
      errors.push(error);
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
